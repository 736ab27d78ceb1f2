"""Files in and out: one bounded reader, one output rule, atomic and locked writes (no process-wide state changed).

Reading (:func:`read_bounded_bytes`, :func:`read_text_file`): the path is ``stat``-ed first, so a folder, a device
(``/dev/zero``), a FIFO or a socket is refused before it is opened, a regular file larger than the limit is refused
from its size, and at most ``max_bytes + 1`` bytes are ever read (a file growing while it is read is refused too).
Text must be UTF-8 without NUL bytes. Every refusal is one :class:`InputError` line naming the flag and the file.

Writing: :func:`check_output_file` is the one output rule of every command that writes a file: never a device, a
FIFO or an existing folder in place of a file; never an existing file unless asked (``force``), or unless the file
is the one being merged into (``merge``); never a stored measured profile (``profiles/measured/``); the file name
at most 255 bytes. :func:`atomic_write_bytes` writes through a temp file in the same folder and renames it over the
target (never a half-written file); files are created with mode 0666 and folders with 0777 *less the user's umask*,
which the kernel applies (the umask itself is never read or changed: changing it is process-wide and races with
other threads). :func:`locked_update` is read-merge-write under an inter-process lock (``filelock``), so parallel
runs that update one file (imported prices) all survive.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Callable

from advisor.errors import InputError

#: modes asked of the kernel; the user's umask is taken off them (0666 -> 0644 under umask 022, 0600 under 077)
FILE_MODE = 0o666
DIR_MODE = 0o777
#: longest file name most file systems accept [bytes]
MAX_NAME_BYTES = 255
#: the folder of stored measured profiles: no command other than ``advisor measure`` writes into it
MEASURED_DIR = Path(__file__).resolve().parent.parent / "profiles" / "measured"
#: a lock is waited for at most this long before the write is refused [s] (a merge takes milliseconds)
LOCK_TIMEOUT_SECONDS = 60.0


def short(value: object, limit: int = 80) -> str:
    """``value`` as text cut to ``limit`` characters ('1234...(4,300 characters)'): messages stay readable."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}...({len(text):,} characters)"


# ---------------------------------------------------------------------------------------------------- reading
def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded_bytes(path: str | os.PathLike, field: str, *, max_bytes: int, what: str = "a file") -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    ``stat`` first (a folder, device, FIFO or socket is refused without opening it; a larger file from its size),
    then one bounded ``read(max_bytes + 1)``. ``field``: the flag named in the one-line :class:`InputError`.
    """
    name = short(os.fspath(path), 120)
    allowed = f"{what} of at most {max_bytes:,} bytes"
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(field, name, f"{allowed} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(field, name, f"{allowed} (this is {_kind(st.st_mode)})")
    if st.st_size > max_bytes:
        raise InputError(field, name, f"{allowed} (this one has {st.st_size:,})")
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the stat, open must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InputError(field, name, f"{allowed} (it changed into {_kind(os.fstat(fd).st_mode)})")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(max_bytes + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise InputError(field, name, f"{allowed} ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(field, name, f"{allowed} (it grew while being read)")
    return data


def decode_text(data: bytes, field: str, name: str, what: str = "UTF-8 text") -> str:
    """``data`` as UTF-8 text (a leading BOM dropped); one-line :class:`InputError` on NUL bytes or other bytes."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(field, short(name, 120), f"{what} (this has a NUL byte on line {line:,})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(field, short(name, 120), f"{what} (byte {exc.start:,} is not UTF-8)") from None


def read_text_file(path: str | os.PathLike, field: str, *, max_bytes: int, what: str = "a UTF-8 text file") -> str:
    """:func:`read_bounded_bytes` then :func:`decode_text`: the one reader of every text input file."""
    data = read_bounded_bytes(path, field, max_bytes=max_bytes, what=what)
    return decode_text(data, field, os.fspath(path), what)


# ---------------------------------------------------------------------------------------------------- writing
def _tmp_name(path: Path) -> Path:
    stem = path.name[:100]  # the temp name stays under the 255-byte limit whatever the target's length
    return path.parent / f".{stem}.{secrets.token_hex(4)}.tmp"


def _make_parents(path: Path) -> None:
    # mode 0777: the kernel takes the umask off (Python applies `mode` to every folder it creates)
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, exclusive: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder, then rename it into place.

    Mode 0666 less the umask. ``exclusive``: fail with ``FileExistsError`` if ``path`` exists (``os.link``, so two
    runs choosing the same new name cannot both succeed) instead of replacing it.
    """
    path = Path(path)
    _make_parents(path)
    tmp = _tmp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            try:
                os.link(tmp, path)
            except OSError as exc:  # a file system without hard links: check, then rename (a narrow race)
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                if path.exists():
                    raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
                os.replace(tmp, path)
            else:
                os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, *, exclusive: bool = False) -> Path:
    """Write UTF-8 ``text`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), exclusive=exclusive)


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def _is_measured(p: Path) -> bool:
    try:
        return p.resolve().is_relative_to(MEASURED_DIR)
    except (OSError, RuntimeError):
        return False


def check_output_dir(field: str, path: str | os.PathLike) -> Path:
    """Check, before any work, that ``path`` can be a folder we write into; one-line :class:`InputError` if not.

    Allowed: an existing writable folder, or a path whose nearest existing ancestor is a writable folder.
    """
    text = os.fspath(path)
    if not text or not text.strip():
        raise InputError(field, text, "a folder path (not empty)")
    p = Path(text)
    try:
        if any(len(part.encode()) > MAX_NAME_BYTES for part in p.parts):
            raise InputError(field, short(text), f"folder names of at most {MAX_NAME_BYTES} bytes (File name too long)")
        if p.exists():
            if not p.is_dir():
                raise InputError(field, short(text), "a folder (this path is an existing file or device)")
            if not os.access(p, os.W_OK | os.X_OK):
                raise InputError(field, short(text), "a folder you can write to (permission denied)")
            return p
        anc = _existing_ancestor(p)
        if not anc.is_dir():
            raise InputError(field, short(text), f"a folder path ({short(anc)} is a file, not a folder)")
        if not os.access(anc, os.W_OK | os.X_OK):
            raise InputError(field, short(text), f"a folder you can create ({short(anc)} is not writable)")
    except OSError as exc:
        raise InputError(field, short(text), f"a usable folder path ({exc.strerror or exc})") from None
    return p


def check_output_file(field: str, path: str | os.PathLike, *, force: bool = False, merge: bool = False) -> Path:
    """The output rule of every command that writes one file; one-line :class:`InputError` naming ``field`` if not.

    Refused: an empty path, an existing folder, a device, FIFO or socket, a file name over 255 bytes, anything in
    the stored measured profiles (``profiles/measured/``), a folder that cannot be created or written, and an
    existing file unless ``force`` (replace it) or ``merge`` (the command reads it and writes it back merged).
    """
    text = os.fspath(path)
    if not text or not text.strip():
        raise InputError(field, text, "a file path (not empty)")
    p = Path(text)
    if len(p.name.encode()) > MAX_NAME_BYTES:
        raise InputError(field, short(text), f"a file name of at most {MAX_NAME_BYTES} bytes (File name too long)")
    if _is_measured(p):
        raise InputError(field, short(text), "a path outside profiles/measured/ (stored measured profiles are "
                                             "written by `advisor measure` only)")
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):  # the latter: a file on the way (refused below)
        st = None
    except OSError as exc:
        raise InputError(field, short(text), f"a usable file path ({exc.strerror or exc})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(field, short(text), "a file path (this is an existing folder)")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(field, short(text), f"a regular file path (this is {_kind(st.st_mode)})")
        if not (force or merge):
            raise InputError(field, short(text), "a new file (this one exists: add --force to replace it)")
    anc = _existing_ancestor(p.parent)
    if anc.exists() and not anc.is_dir():
        raise InputError(field, short(text), f"a file path in a folder ({short(anc, 60)} is a file, not a folder)")
    check_output_dir(field, p.parent if str(p.parent) else ".")
    if p.parent.is_dir():  # try it: os.access says yes to root on a read-only or virtual file system (/proc, /sys)
        probe = _tmp_name(p)
        try:
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            os.unlink(probe)
        except OSError as exc:
            raise InputError(field, short(text), f"a file you can write ({exc.strerror or exc}); nothing was "
                                                 "written") from None
    return p


def write_output(field: str, path: str | os.PathLike, data: bytes | str, *, force: bool = False,
                 exclusive: bool = False) -> Path:
    """:func:`check_output_file`, then :func:`atomic_write_bytes`; a failing write is one :class:`InputError` line."""
    p = check_output_file(field, path, force=force)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        return atomic_write_bytes(p, raw, exclusive=exclusive and not force)
    except FileExistsError:
        raise InputError(field, short(p), "a new file (another run wrote it just now: add --force to replace "
                                          "it)") from None
    except OSError as exc:
        raise InputError(field, short(p), f"a file you can write ({exc.strerror or exc}); nothing was "
                                          "written") from None


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file that guards ``path`` (a hidden file beside it)."""
    p = Path(path)
    return p.parent / f".{p.name[:200]}.lock"


def locked_update(field: str, path: str | os.PathLike, update: Callable[[Path], bytes | str]) -> Path:
    """Read-merge-write ``path`` under an inter-process lock: ``update(path)`` reads the current file (if any) and
    returns the new content, which is written atomically before the lock is released.

    Parallel runs are serialised, so every run's change survives. The lock is ``filelock.FileLock`` on
    :func:`lock_path`; waiting longer than ``LOCK_TIMEOUT_SECONDS`` is a one-line :class:`InputError`.
    """
    import filelock

    p = check_output_file(field, path, merge=True)
    try:
        _make_parents(p)
        # the lock file made (or opened) here first: a folder we cannot write is refused as such, not waited on
        os.close(os.open(lock_path(p), os.O_WRONLY | os.O_CREAT, FILE_MODE))
        with filelock.FileLock(lock_path(p), timeout=LOCK_TIMEOUT_SECONDS):
            data = update(p)
            raw = data.encode("utf-8") if isinstance(data, str) else data
            return atomic_write_bytes(p, raw)
    except filelock.Timeout:
        raise InputError(field, short(p), f"a file no other run holds for over {LOCK_TIMEOUT_SECONDS:g} s "
                                          f"(locked by {lock_path(p).name})") from None
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.EACCES, errno.EROFS, errno.ENOSPC, errno.EPERM, errno.EISDIR,
                         errno.ENOENT, errno.ENOTDIR):
            raise InputError(field, short(p), f"a file you can write ({exc.strerror or exc}); nothing was "
                                              "written") from None
        raise
