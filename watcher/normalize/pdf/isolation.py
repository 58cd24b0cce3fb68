"""Run a job in a forkserver child process with memory, CPU and wall-clock limits (run_limited).

The parent is asyncio + threads, so a plain fork is unsafe; children come from a forkserver that has
this module, the extraction module (JOB_MODULE, which holds extract_pdf) and pypdfium2 preloaded, so
each child starts warm. The child gets RLIMIT_AS, RLIMIT_CPU and no core dumps; the parent kills it at
the wall-clock deadline. Every failure (hang, crash, allocation failure, parser error) comes back as a
NormalizeError. _LeanPopen keeps the child from re-running the parent's __main__ (Python 3.11).
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext, ForkServerProcess, set_spawning_popen
from typing import Any, TypeVar

from watcher.errors import NormalizeError

T = TypeVar("T")

# The module whose functions run as jobs in the child (extract_pdf), preloaded by the forkserver. Named
# here rather than imported, so that imports go one way (extract imports this module).
JOB_MODULE = f"{__package__}.extract"


def run_limited(job: Callable[..., T], args: tuple[Any, ...], *, timeout: float, memory_bytes: int) -> T:
    """Run job(*args) in a fresh child process under the memory and wall-clock limits; return its result."""
    context = _forkserver_context()
    reader, writer = context.Pipe(duplex=False)
    cpu_seconds = math.ceil(timeout) + 1
    process = _LeanProcess(target=_child_main, args=(writer, job, args, memory_bytes, cpu_seconds),
                           daemon=True)
    deadline = time.monotonic() + timeout
    started = False
    try:
        process.start()
        started = True
        # Close our copy of the write end so a dying child shows up as EOF on the reader.
        writer.close()
        return _receive_outcome(process, reader, deadline, timeout, memory_bytes)
    finally:
        reader.close()
        writer.close()
        if started:
            _reap(process)


_context_lock = threading.Lock()
_context: BaseContext | None = None


def _forkserver_context() -> BaseContext:
    """The forkserver context, with this module, the extraction job's module and PDFium preloaded so
    each child starts warm."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # Preloading in the server means each forked child already has pypdfium2 imported (~1 ms
            # per call instead of ~40 ms). It only takes effect if the server is not yet running.
            context.set_forkserver_preload(["__main__", __name__, JOB_MODULE, "pypdfium2"])
            _context = context
        return _context


class _LeanPopen(popen_forkserver.Popen):
    """Forkserver launcher whose child does not re-run the parent's __main__ before running the job.

    Python 3.11's forkserver never preloads __main__ (it filters the preparation data for a key that
    is not there), so every child re-imports the main script: for the `watcher` console script that
    is the whole CLI and its dependencies, tens of milliseconds per PDF. Our jobs are module-level
    functions that never need __main__, so the child is told nothing about it. The body is CPython's
    Popen._launch with that one change.
    """

    def _launch(self, process_obj: Any) -> None:
        """Send the preparation data (minus __main__) and the process object to a forked child."""
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _LeanProcess(ForkServerProcess):
    """A forkserver process started through _LeanPopen."""

    @staticmethod
    def _Popen(process_obj: Any) -> _LeanPopen:  # noqa: N802 - overrides multiprocessing's name
        """Start the child without the __main__ fix-up."""
        return _LeanPopen(process_obj)


def _child_main(conn: Connection, job: Callable[..., Any], args: tuple[Any, ...], memory_bytes: int,
                cpu_seconds: int) -> None:
    """Child process body: set limits, run the job, send back ("ok", result) or (kind, message)."""
    # Memory set aside before the limit, freed on MemoryError so the report can still be sent.
    reserve: bytearray | None = bytearray(256 * 1024)
    _limit_resources(memory_bytes, cpu_seconds)
    try:
        outcome: tuple[str, Any] = ("ok", job(*args))
    except MemoryError:
        reserve = None
        outcome = ("memory", "")
    except NormalizeError as error:
        outcome = ("error", str(error))
    except Exception as error:  # noqa: BLE001 - any parser failure is a property of this one file
        outcome = ("error", _describe_parser_error(error))
    del reserve
    conn.send(outcome)
    conn.close()


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap address space and CPU time, and disable core dumps, for the current (child) process."""
    _lower_limit(resource.RLIMIT_AS, memory_bytes)
    _lower_limit(resource.RLIMIT_CPU, cpu_seconds)
    _lower_limit(resource.RLIMIT_CORE, 0)


def _lower_limit(which: int, value: int) -> None:
    """Set the soft and hard limit to value, never raising a limit that is already lower."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _receive_outcome(process: Any, reader: Connection, deadline: float, timeout: float,
                     memory_bytes: int) -> Any:
    """Wait for the child's message until the deadline; translate every failure into a NormalizeError."""
    if not reader.poll(max(0.0, deadline - time.monotonic())):
        raise NormalizeError(f"PDF parsing exceeded {timeout:g}s")
    try:
        kind, payload = reader.recv()
    except (EOFError, OSError):
        # EOF without a message: the child died. Its exit code says how.
        process.join(5.0)
        raise _death_error(process.exitcode, timeout, memory_bytes) from None
    if kind == "ok":
        return payload
    if kind == "memory":
        raise NormalizeError(f"PDF parsing exceeded memory limit ({_mebibytes(memory_bytes)})")
    raise NormalizeError(payload)


def _death_error(exitcode: int | None, timeout: float, memory_bytes: int) -> NormalizeError:
    """Describe a child that died without reporting, from its exit code."""
    if exitcode is not None and exitcode < 0:
        signum = -exitcode
        # PDFium's allocator aborts when an allocation fails, and under RLIMIT_AS that is what a
        # memory-hungry file causes; its other fatal checks trap (SIGTRAP/SIGILL) or segfault.
        if signum == signal.SIGABRT:
            return NormalizeError(f"PDF parsing exceeded memory limit ({_mebibytes(memory_bytes)}); "
                                  "the parser aborted")
        if signum == signal.SIGXCPU:
            return NormalizeError(f"PDF parsing exceeded {timeout:g}s (CPU limit)")
        return NormalizeError(f"PDF parser crashed ({_signal_name(signum)})")
    return NormalizeError(f"PDF parser process failed (exit code {exitcode})")


def _reap(process: Any) -> None:
    """Kill the child if it still runs and wait for it, so no process or zombie is left behind."""
    if process.exitcode is None:
        process.join(0.05)  # a child that already sent its result is usually exiting right now
    if process.exitcode is None:
        process.kill()
        process.join()
    process.close()


def _signal_name(signum: int) -> str:
    """SIGSEGV-style name of a signal number."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _mebibytes(size: int) -> str:
    """Human-readable size for error messages."""
    return f"{size / (1 << 20):g} MiB"


def _describe_parser_error(error: Exception) -> str:
    """Turn a pypdfium2 or other parser exception into a NormalizeError message."""
    message = str(error)
    if "password" in message.lower():
        return f"encrypted PDF (a password is needed): {message}"
    if type(error).__name__ == "PdfiumError":
        return f"corrupt PDF: {message}"
    return f"PDF parser failed: {type(error).__name__}: {message}"
