"""Hard bounds on what evaluating one target's policies may cost (docs/policies.md, "Limits").

cel-cpp's own iteration budget bounds loops, not what a loop builds (a string joined 100 times
inside four nested maps is 1.6 GB), nor the time spent in the Kubernetes functions written in
Python. Three bounds close that:

- A cost budget per evaluation of one expression, that every Python Kubernetes function draws
  from by the size of its inputs (`charge`), reset when an expression is evaluated (`reset_cost`).
  When it is spent each further call fails at once, so the expression fails with "cost limit
  exceeded" in time proportional to the budget.
- The policy stage of a target runs in a forked child (`start_limited`: it computes while this
  process runs the other checks) whose address space may grow by MEMORY_MARGIN beyond this
  process's and which is killed when it has not finished TIME_LIMIT seconds after its result is
  asked for. A
  breach stops the run with one line and exit 2 (`PolicyLimitExceeded`): a runaway policy is a
  fault of the policy files, not a finding about the values, and a CI gate must not pass on it.
  Where fork is unavailable or unsafe (Windows, macOS, a process running threads, SIGCHLD
  ignored) the stage runs in this process with the cost budget alone.
- At most MAX_BINDING_PAIRS (admission binding, rendered object) pairs per target.
"""

from __future__ import annotations

import ctypes  # noqa: F401  imported here once: die_with_parent would import it in every child (5 ms)
import gc
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from ..errors import StarterLintError
from ..turns import die_with_parent, fork_holding_interrupts, release_interrupts, stop_in_work

Result = TypeVar("Result")

COST_BUDGET = 1_000_000  # elements and characters the Python functions may examine per expression
MEMORY_MARGIN = 1 << 30  # bytes of address space the policy child may add to this process's
TIME_LIMIT = 60.0  # seconds the policy stage of one target may take (as --render-timeout's default)
MAX_BINDING_PAIRS = 1_000_000  # admission bindings x rendered objects in one target
# allocations between the policy child's young collections (700 by default)
_CHILD_COLLECTION_THRESHOLD = 100_000


class CostLimitExceeded(ValueError):
    """The expression's cost budget is spent (a ValueError: the functions' errors become CEL's)."""


class PolicyLimitExceeded(StarterLintError):
    """The policy stage of a target went beyond a hard limit: one line, exit 2."""

    def __init__(self, limit: str, files: Sequence[str]) -> None:
        super().__init__(f"policy evaluation stopped: {limit} exceeded (policy files: {_shown(files)})")


def _shown(files: Sequence[str]) -> str:
    return ", ".join(files) or "none"


_local = threading.local()


def reset_cost() -> None:
    """A new expression evaluation: the full budget again."""
    _local.left = COST_BUDGET


def charge(units: int) -> None:
    """Draw `units` from the budget of the expression being evaluated; CostLimitExceeded once spent."""
    left = getattr(_local, "left", COST_BUDGET) - units
    _local.left = left
    if left < 0:
        raise CostLimitExceeded(f"cost limit exceeded (more than {COST_BUDGET:,} elements examined)")


def size_of(value: object) -> int:
    """The cost of passing `value` to a function: 1, plus its length for a string, list or map."""
    return 1 + len(value) if isinstance(value, (str, bytes, list, tuple, dict)) else 1


def check_pairs(bindings: int, objects: int, files: Sequence[str]) -> None:
    """PolicyLimitExceeded when bindings x objects is beyond MAX_BINDING_PAIRS."""
    if bindings * objects > MAX_BINDING_PAIRS:
        raise PolicyLimitExceeded(
            f"{bindings:,} bindings x {objects:,} objects: the limit of {MAX_BINDING_PAIRS:,} pairs", files
        )


def can_fork() -> bool:
    """Whether the policy stage may run in a forked child here (the reasons as in turns.py)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if threading.active_count() > 1:  # a fork copies the other threads' locks held, not the threads
        return False
    return signal.getsignal(signal.SIGCHLD) is signal.SIG_DFL


def _address_space() -> int:
    """This process's address space in bytes (Linux: /proc/self/statm's first field)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def run_limited(work: Callable[[], Result], files: Sequence[str]) -> Result:
    """work() in a forked child within MEMORY_MARGIN and TIME_LIMIT (or here, where it cannot
    fork); its exceptions are raised here; PolicyLimitExceeded on a breach."""
    return start_limited(work, files).result()


class Pending(Generic[Result]):
    """The policy stage started by `start_limited`: `result()` waits for it (or, where nothing
    was forked, computes it then); `stop()` ends it unread (the caller failed first)."""

    def __init__(self, work: Callable[[], Result], files: Sequence[str], child: tuple | None) -> None:
        self._work, self._files, self._child = work, files, child
        self.pid: int | None = child[0] if child is not None else None  # the child's, until waited for

    def result(self) -> Result:
        if self._child is None:
            return self._work()
        pid, reader = self._child
        self._child = None
        # the limit counts from here, as when the stage ran alone: the time the caller spent on
        # its own work (slow checks, a shared core) is not the policies'
        return _collect(pid, reader, time.monotonic() + TIME_LIMIT, self._files)

    def stop(self) -> None:
        if self._child is not None:
            pid, reader = self._child
            self._child = None
            os.close(reader)
            _end(pid, finished=False)


def start_limited(work: Callable[[], Result], files: Sequence[str]) -> Pending[Result]:
    """work() started in a forked child within MEMORY_MARGIN and TIME_LIMIT, while this process
    goes on (the caller's other work runs on the other core); where it cannot fork, work() runs
    here when the result is asked for."""
    if not can_fork():
        return Pending(work, files, None)
    try:
        limit = _address_space() + MEMORY_MARGIN
        reader, writer = os.pipe()
    except OSError:
        return Pending(work, files, None)
    parent = os.getpid()
    try:
        pid, held = fork_holding_interrupts()
    except OSError:
        os.close(reader)
        os.close(writer)
        return Pending(work, files, None)
    if pid == 0:  # the child: limit, compute, send, leave without running anything of the parent's
        code = 1
        try:
            stop_in_work(start_limited.__code__)
            release_interrupts(held)  # a Ctrl-C held back across the fork ends this `try`
            os.close(reader)
            # the parent's objects out of the collector's reach: a collection touching them all
            # would copy every page of the parent's heap (80 ms for 150 MB instead of 10)
            gc.freeze()
            # what the child allocates is mostly its findings, alive until sent: young
            # collections would walk them again and again (0.05 s of its 0.5 s at 500 releases
            # with 20 policies). Rarer collections still find cycles, within the memory limit
            gc.set_threshold(_CHILD_COLLECTION_THRESHOLD, 10, 10)
            die_with_parent(parent)
            import resource  # deferred: Unix only, and only a forked child sets a limit

            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (limit if hard < 0 else min(limit, hard), hard))
            try:
                outcome: tuple[str, object] = ("ok", work())
            except MemoryError:
                outcome = ("memory", None)
            except Exception as exc:  # the parent raises it (an InputError is one line, exit 2)
                outcome = ("error", _portable(exc))
            with open(writer, "wb") as channel:
                pickle.dump(outcome, channel, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        except MemoryError:  # out of memory while sending: the parent sees no whole result
            code = _OUT_OF_MEMORY
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(writer)
    pending = Pending(work, files, (pid, reader))
    try:
        release_interrupts(held)
    except BaseException:  # a Ctrl-C or SIGTERM that came during the fork: the child stops too
        pending.stop()
        raise
    return pending


_OUT_OF_MEMORY = 3  # the child's exit code when even sending its result ran out of memory


def _end(pid: int, finished: bool) -> int:
    """The child's exit status, once it has ended; killed first unless it `finished` sending."""
    if not finished:
        try:
            os.kill(pid, signal.SIGKILL)  # not yet waited for: the pid is still the child's
        except OSError:
            pass
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = 0
    return status


def _portable(exc: Exception) -> Exception:
    """`exc`, or one of its class's nearest plain kind with its message where it does not survive
    pickling (an exception whose constructor takes other arguments than its message)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return StarterLintError(str(exc)) if isinstance(exc, StarterLintError) else RuntimeError(str(exc))
    return exc


def _collect(pid: int, reader: int, deadline: float, files: Sequence[str]) -> Any:
    """What the child sends, once it has ended: its result, its exception raised, or the breach."""
    data = bytearray()
    finished = False
    try:
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0:
                break
            ready, _, _ = select.select([reader], [], [], wait)
            if not ready:
                continue
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                finished = True
                break
            data += chunk
    finally:  # past the time limit, or interrupted (Ctrl-C): the child is stopped too
        os.close(reader)
        status = _end(pid, finished)
    if not finished:
        raise PolicyLimitExceeded(f"the time limit of {TIME_LIMIT:g} seconds", files)
    try:
        kind, value = pickle.loads(data)  # read in place: no copy of a result of megabytes
    except Exception:  # nothing, or a result cut short: the child ended while sending it
        kind, value = "ended", None
    if kind == "ok":
        return value
    if kind == "error" and isinstance(value, BaseException):
        raise value
    # a MemoryError (what cel-cpp's std::bad_alloc becomes too), in the evaluation or in sending
    if kind == "memory" or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == _OUT_OF_MEMORY):
        raise PolicyLimitExceeded(f"the memory limit of {MEMORY_MARGIN >> 20:,} MiB", files)
    ended = (
        f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit code {os.WEXITSTATUS(status)}"
    )
    raise StarterLintError(
        f"policy evaluation failed: its process ended with {ended} (policy files: {_shown(files)})"
    )
