"""File writes: atomic (never a half-written file), fixed modes, no process-wide state changed.

Files are written 0644 and folders created 0755 (less whatever the process umask removes); the umask itself is
never read or changed (changing it is process-wide and races with other threads).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from advisor.errors import InputError

FILE_MODE = 0o644
DIR_MODE = 0o755


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder (mode 0644), then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp creates 0600; give the file the usual mode without touching the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def check_output_dir(field: str, path: str | os.PathLike) -> Path:
    """Check, before any work, that ``path`` can be a folder we write into; one-line :class:`InputError` if not.

    Allowed: an existing writable folder, or a path whose nearest existing ancestor is a writable folder.
    """
    text = os.fspath(path)
    if not text or not text.strip():
        raise InputError(field, text, "a folder path (not empty)")
    p = Path(text)
    try:
        if p.exists():
            if not p.is_dir():
                raise InputError(field, text, "a folder (this path is an existing file or device)")
            if not os.access(p, os.W_OK | os.X_OK):
                raise InputError(field, text, "a folder you can write to (permission denied)")
            return p
        anc = _existing_ancestor(p)
        if not anc.is_dir():
            raise InputError(field, text, f"a folder path ({anc} is a file, not a folder)")
        if not os.access(anc, os.W_OK | os.X_OK):
            raise InputError(field, text, f"a folder you can create ({anc} is not writable)")
        if any(len(part.encode()) > 255 for part in p.parts):
            raise InputError(field, text[:80] + "...", "folder names of at most 255 bytes")
    except OSError as exc:
        raise InputError(field, text[:200], f"a usable folder path ({exc.strerror or exc})") from None
    return p


def check_output_file(field: str, path: str | os.PathLike) -> Path:
    """Check, before any work, that ``path`` can be written as a file; one-line :class:`InputError` if not."""
    text = os.fspath(path)
    if not text or not text.strip():
        raise InputError(field, text, "a file path (not empty)")
    p = Path(text)
    if p.exists() and p.is_dir():
        raise InputError(field, text, "a file path (this is a folder)")
    if p.exists() and not p.is_file():
        raise InputError(field, text, "a regular file path (this is a device or special file)")
    if len(p.name.encode()) > 255:
        raise InputError(field, text[:80] + "...", "a file name of at most 255 bytes")
    check_output_dir(field, p.parent if str(p.parent) else ".")
    return p
