"""A load's checks run in a forked child process while the parent writes the store.

pyoxigraph holds the interpreter lock while it writes, so a thread could not check while the
store is written; a child forked after the files are parsed shares the parsed datasets
without copying them, checks them on the other core and sends back only its findings. The
child never touches the store, writes nothing but its findings to a pipe, and leaves with
``os._exit`` (no clean-up of the parent's state runs in it). Whatever goes wrong in it (an
exception, a signal, findings that do not arrive) makes :meth:`ChecksBeside.outcome` return
``None``, and the caller runs the checks itself, so that what it raises is what the checks
in-process would have raised.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable
from typing import Generic, TypeVar

NOT_YET = object()
T = TypeVar("T")


def can_fork() -> bool:
    return hasattr(os, "fork")


class ChecksBeside(Generic[T]):
    """``check()`` (which returns the findings) running in a child process from now on."""

    def __init__(self, check: Callable[[], T]) -> None:
        self._outcome: object = NOT_YET
        read_end, write_end = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: check, send the findings, leave at once
            code = 1
            try:
                os.close(read_end)
                data = pickle.dumps(check())
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self._read_end = read_end

    def outcome(self) -> T | None:
        """The child's findings, once it is done (``None`` if it failed)."""
        if self._outcome is NOT_YET:
            self._outcome = None
            try:
                with os.fdopen(self._read_end, "rb") as f:
                    data = f.read()
            finally:
                _, status = os.waitpid(self._pid, 0)
            if status == 0 and data:
                try:
                    self._outcome = pickle.loads(data)
                except Exception:
                    self._outcome = None
        return self._outcome  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the child if its findings are no longer wanted (the load failed or was
        interrupted); a no-op once they were read."""
        if self._outcome is not NOT_YET:
            return
        self._outcome = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.close(self._read_end)
        os.waitpid(self._pid, 0)
