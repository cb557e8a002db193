"""A store failure said plainly: what happened to the disk or the database, then the backend's own words.

The same text reaches every interface: the CLI prints it after "Error:", the API answers it
with 503 (and logs it).
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

__all__ = ["plainly", "why_unwritable"]

_CAUSES = (
    (("disk is full", "no space left", "file too large", "could not extend file", "disk full"), "the disk is full"),
    (("readonly", "read-only", "read only"), "the store is read-only"),
    (
        ("server closed the connection", "terminating connection", "connection is lost", "connection is closed",
         "consuming input failed", "connection to server", "the connection is lost"),
        "the connection to the database was lost",
    ),
    (("locked", "busy", "lock timeout"), "another writer holds the store"),
)  # fmt: skip


def plainly(cause: object) -> str:
    """``cause`` (an exception or its text) led by what it means in plain words, where it is a known failure.

    >>> plainly("attempt to write a readonly database")
    'the store is read-only: attempt to write a readonly database'
    """
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    lower = text.lower()
    for needles, meaning in _CAUSES:
        if any(n in lower for n in needles):
            return f"{meaning}: {text}"
    return text


def why_unwritable(folder: str | os.PathLike[str], probe_bytes: int = 1 << 20) -> str | None:
    """Why files cannot be written in ``folder`` now (a full disk, read-only), found by writing a probe; or None.

    GDAL reports a failed write as "Cannot write feature" without its cause: the probe tells.
    """
    try:
        with tempfile.TemporaryFile(dir=Path(folder)) as probe:
            probe.write(b"\0" * probe_bytes)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            return f"the disk is full: {exc.strerror}"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"the folder is read-only: {exc.strerror}"
        return exc.strerror or type(exc).__name__
    return None
