"""Fixtures of the evidence tests: the jury tests' pilot."""

from pathlib import Path

import pytest
from flask import Flask

from tests.jury.factories import pilot  # noqa: F401


@pytest.fixture(autouse=True)
def evidence_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test stores its files in a folder of its own."""
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder
