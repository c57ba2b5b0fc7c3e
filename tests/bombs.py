"""Hostile archives for the upload guard's tests, built here rather than shipped."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import openpyxl

MiB = 1024 * 1024


def small_workbook(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_bomb(path: Path, unpacked_mib: int = 850) -> Path:
    """A real workbook whose xl/sharedStrings.xml inflates to `unpacked_mib` MiB of zeros.

    The zeros are streamed into the ZIP_DEFLATED member, so building it never holds them.
    """
    source = small_workbook([["email", "prénom", "nom de naissance"], ["a@b.fr", "A", "B"]])
    zeros = bytes(MiB)
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in original.infolist():
            if info.filename != "xl/sharedStrings.xml":
                bomb.writestr(info, original.read(info))
        member = zipfile.ZipInfo("xl/sharedStrings.xml")
        member.compress_type = zipfile.ZIP_DEFLATED
        with bomb.open(member, "w", force_zip64=True) as stream:
            for _ in range(unpacked_mib):
                stream.write(zeros)
    return path


def lying_zip(real_size: int, declared_size: int) -> bytes:
    """An archive whose central directory says a member inflates to `declared_size` bytes
    while its data inflates to `real_size`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.xml", bytes(real_size))
    data = bytearray(buffer.getvalue())
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared_size)  # uncompressed size
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, declared_size)
    return bytes(data)
