"""Files the application keeps (evidence, exports): written owner-only and on disk."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, content: bytes, *, exclusive: bool = False) -> None:
    """Write `content` to `path`, readable by its owner only and flushed to disk on return.

    `exclusive`: refuse a file already there (else it is emptied first). A file this call
    opened and could not fill is removed; one it could not open is left alone."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
