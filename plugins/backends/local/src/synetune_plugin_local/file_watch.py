"""Wake a reader as soon as a file grows: inotify on Linux, short polling elsewhere.

The local backend's trials write straight into ``std.out`` (so that nothing they print can be
lost with the tuner) and a reader thread follows the file. Polling alone would cost either
latency or CPU; inotify tells the reader the moment the script writes, and ``wake()`` ends a
wait at once when the script has exited.
"""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path

IN_MODIFY = 0x2
POLL_MIN, POLL_MAX = 0.001, 0.01  # seconds between reads without inotify (busy, quiet)
_libc: object | None = None
_libc_loaded = False


def _inotify() -> object | None:
    global _libc, _libc_loaded
    if not _libc_loaded:
        _libc_loaded = True
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.inotify_init1.argtypes = [ctypes.c_int]
            libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
            _libc = libc
        except (OSError, AttributeError):  # not Linux
            _libc = None
    return _libc


class FileWatch:
    """``wait(timeout)`` returns when ``path`` was written to, ``wake()`` was called, or after
    ``timeout`` seconds, whichever comes first."""

    def __init__(self, path: Path):
        self._fds: list[int] = []
        self._lock = threading.Lock()  # wake() and close() from different threads
        self._woken = threading.Event()
        self._delay = POLL_MIN
        libc = _inotify()
        if libc is None:
            return
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)  # type: ignore[attr-defined]
        if fd < 0:
            return
        if libc.inotify_add_watch(fd, os.fsencode(path), IN_MODIFY) < 0:  # type: ignore[attr-defined]
            os.close(fd)
            return
        wake_read, self._wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        self._fds = [fd, wake_read]

    def wait(self, timeout: float) -> None:
        if not self._fds:
            self._woken.wait(min(timeout, self._delay))
            self._delay = min(2 * self._delay, POLL_MAX)
            return
        ready, _, _ = select.select(self._fds, [], [], timeout)
        for fd in ready:
            try:
                os.read(fd, 65536)  # drain the notifications
            except BlockingIOError:
                pass

    def active(self) -> None:
        """The file just grew: poll fast again (without inotify)."""
        self._delay = POLL_MIN

    def wake(self) -> None:
        self._woken.set()
        with self._lock:  # never write into a descriptor number close() gave back
            if self._fds:
                try:
                    os.write(self._wake_write, b"x")
                except OSError:
                    pass

    def close(self) -> None:
        with self._lock:
            for fd in self._fds:
                os.close(fd)
            if self._fds:
                os.close(self._wake_write)
            self._fds = []
