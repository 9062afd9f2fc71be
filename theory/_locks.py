"""One writer per folder: a lock file naming its holder (pid, host, process start time).

``<folder>/.msl-lock`` holds ``{"pid", "host", "start", "since"}`` of the process that
writes into the folder.  A second writer is refused (:class:`FolderLockedError`, naming the
holder) while the holder lives; a lock left by a process that died (``kill -9``, a power
cut) is stale and taken over by the next writer:

* the holder is alive when its host is this host, its pid exists and (where ``/proc``
  tells) the process with that pid started at the recorded time, so a reused pid does not
  keep a dead run's lock; a holder on another host cannot be checked from here and is
  refused, with the path of the lock file to delete once that run is known to be gone;
* on POSIX, the lock file is also held with ``flock`` while the folder is in use: the
  kernel drops it when the holder dies, and two runs that find the same stale lock at once
  are serialised by it (one takes the folder over, the other is refused);
* taking over a dead run's lock removes its ``.tmp-*`` files in the folder;
* within one process the lock is re-entrant (``msl phase-diagram --out D`` locks ``D``
  and then its chunk store, the same folder).

The lock file is never removed (removing it would let two runs lock two different files);
a released lock is an empty file.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from theory._links import register_root, scan_for_links
from theory.errors import MslValueError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: the pid/host check alone
    fcntl = None  # type: ignore[assignment]

#: name of the lock file in a locked folder
LOCK_NAME = ".msl-lock"

_HELD: dict[str, FolderLock] = {}
_REGISTRY = threading.Lock()


class FolderLockedError(MslValueError):
    """Another live process writes into the folder (or its lock cannot be checked)."""


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from ``/proc``), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return fields[19]
    except (OSError, IndexError):
        return None


def _identity() -> dict:
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "start": _start_time(pid),
            "since": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def holder_alive(holder: dict) -> bool:
    """Whether the process named by a lock's content may still run (see the module)."""
    if holder.get("host") != socket.gethostname():
        return True  # cannot be checked from here
    pid = holder.get("pid")
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0 or not _pid_alive(pid):
        return False
    started = holder.get("start")
    now = _start_time(pid)
    return started is None or now is None or started == now


def _read(fd: int) -> dict | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 4096):
        raw += chunk
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) and "pid" in value else None


def _describe(holder: dict | None) -> str:
    if holder is None:
        return "another process"
    return (f"process {holder.get('pid')} on host {holder.get('host')!r} "
            f"(since {holder.get('since', '?')})")


class FolderLock:
    """The lock of one folder, held by this process until :meth:`release`."""

    def __init__(self, folder: Path, fd: int, key: str):
        self.folder = folder
        self.path = folder / LOCK_NAME
        self._fd: int | None = fd
        self._key = key
        self._depth = 1

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the folder back (the outermost release of a re-entrant lock does)."""
        with _REGISTRY:
            if self._fd is None:
                return
            self._depth -= 1
            if self._depth > 0:
                return
            fd, self._fd = self._fd, None
            _HELD.pop(self._key, None)
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        finally:
            os.close(fd)  # drops the flock too

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def acquire(folder, argument: str = "--out", *, scan: bool = True) -> FolderLock:
    """Lock ``folder`` (which must exist) for this process, or raise
    :class:`FolderLockedError` naming the live holder (see the module).

    ``folder`` becomes an output root (:func:`theory._links.register_root`); with ``scan``
    (an msl output folder, not a shared folder of the user's) a symbolic link anywhere below
    it is refused first (:class:`~theory.files.SymlinkError`): msl creates none, and
    libraries that open files themselves (Zarr) would follow it."""
    folder = Path(folder)
    register_root(folder)
    key = os.path.realpath(folder)
    with _REGISTRY:
        held = _HELD.get(key)
        if held is not None and held.held:
            held._depth += 1
            return held
        path = folder / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError:
            if path.is_symlink():
                raise FolderLockedError(
                    f"{argument} {str(folder)!r}: its lock file {str(path)!r} is a symbolic "
                    "link; msl does not follow it (remove the link)") from None
            raise
        try:
            if scan:
                scan_for_links(folder)
            _take(fd, path, folder, argument)
        except BaseException:
            os.close(fd)
            raise
        lock = FolderLock(folder, fd, key)
        _HELD[key] = lock
        return lock


def _take(fd: int, path: Path, folder: Path, argument: str) -> None:
    """Hold ``fd``'s flock and write this process into it, unless a live holder has it."""
    refusal = (f"{argument} {str(folder)!r} is in use by {{who}}; wait for it to finish or "
               "use another folder (if that run is gone, delete {path})")
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderLockedError(refusal.format(who=_describe(_read(fd)),
                                                   path=repr(str(path)))) from None
        except OSError:  # a file system without flock: the pid/host check alone
            pass
    holder = _read(fd)
    if holder is not None and holder.get("pid") != os.getpid() and holder_alive(holder):
        raise FolderLockedError(refusal.format(who=_describe(holder), path=repr(str(path))))
    if holder is not None:  # a dead run's lock: its half-written temporaries go too
        from theory.files import remove_stray_temporaries

        remove_stray_temporaries(folder)
    text = json.dumps(_identity(), sort_keys=True).encode("utf-8")
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text)
    os.fsync(fd)


@contextmanager
def folder_lock(folder, argument: str = "--out", *, scan: bool = True):
    """``with folder_lock(out):`` holds ``out``'s lock for the block (see :func:`acquire`)."""
    lock = acquire(folder, argument, scan=scan)
    try:
        yield lock
    finally:
        lock.release()


__all__ = ["LOCK_NAME", "FolderLock", "FolderLockedError", "acquire", "folder_lock",
           "holder_alive"]
