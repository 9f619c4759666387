"""Work over many items done in parts at once: one here, each other in a forked child process.

CI runners and laptops have at least two cores, and a check of a large input (hundreds of
rendered releases) spends most of its time reading YAML, one file after the other, in one
process. `in_two_halves` cuts the items where half their weight (bytes, objects) is reached,
forks, and while this process works on the first half the child works on the second and sends
its result back pickled. The caller gets the two results in order, so what it builds from them
is exactly what one pass over all the items would build. `in_parts` does the same with more
parts (`-j N` over config targets), one child each, no more parts than cores.

It falls back to doing everything here, with the same result, whenever splitting cannot pay or
might not be safe: the fast paths are off (the tests' reference path), the work is small, there
is one core, the platform cannot fork (or is macOS, where a forked child may crash in a system
framework), this process runs threads (a fork copies their locks held), SIGCHLD is ignored, or
it works on a part already, here or in a child (the cores are taken), or is a worker of a
library user's process pool. A child that fails in any way (an error
reading a file, a crash, a result that does not unpickle) costs nothing but time: its half is
done again here, so an error is raised here, as one pass would raise it.

The child only computes: it writes nothing but its result into a pipe and leaves with
`os._exit`, so it never flushes this process's buffered output nor runs its exit handlers.
"""

from __future__ import annotations

import gc
import itertools
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from . import speedups

Item = TypeVar("Item")
Result = TypeVar("Result")


_BUFFER = 1 << 16


def split_at(weights: Sequence[int]) -> int:
    """The index that cuts `weights` into two parts of (about) equal total: the first part is
    weights[:index]."""
    return cut_points(weights, 2)[0]


def cut_points(weights: Sequence[int], parts: int) -> list[int]:
    """The `parts - 1` indices that cut `weights` into `parts` contiguous parts of (about) equal
    total: an item goes to the part where the larger half of its weight falls."""
    total, before, index, cuts = sum(weights), 0, 0, []
    for part in range(1, parts):
        share = total * part / parts
        while index < len(weights) and before + weights[index] / 2 < share:
            before += weights[index]
            index += 1
        cuts.append(index)
    return cuts


def _cores() -> int:
    """The cores this process may use: its CPU affinity, and a container's CPU quota (cgroup v2
    `cpu.max`, e.g. `100000 100000` for one CPU), which the affinity does not show."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = quota_cores()
    return cores if quota is None else min(cores, quota)


def quota_cores(path: str = "/sys/fs/cgroup/cpu.max") -> int | None:
    """Whole CPUs a cgroup v2 quota allows (`200000 100000`: 2); None without a quota."""
    try:
        with open(path, encoding="ascii") as limits:
            quota, period = limits.read().split()[:2]
        return None if quota == "max" else int(quota) // max(int(period), 1)
    except (OSError, ValueError):
        return None


def can_split() -> bool:
    """Whether work may be split into a forked child here and now."""
    # macOS: a forked child that touches a system framework the parent initialised may crash
    # (which is why Python's multiprocessing spawns there); splitting is for Linux runners
    if (
        _Split.in_parts
        or not speedups.FAST_PATHS
        or not hasattr(os, "fork")
        or sys.platform == "darwin"
        or _cores() < 2
    ):
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    # SIGCHLD ignored (inherited from a CI agent or wrapper): the kernel reaps the child at once,
    # so it could not be waited for, and its pid could go to another process before a kill
    if signal.getsignal(signal.SIGCHLD) is not signal.SIG_DFL:
        return False
    multiprocessing = sys.modules.get("multiprocessing")
    # a worker of `-j N` (or of a library user's pool): the cores are already shared out
    return multiprocessing is None or multiprocessing.parent_process() is None


def in_two_halves(
    work: Callable[[Sequence[Item]], Result],
    items: Sequence[Item],
    minimum: int,
    weights: Sequence[int] | None = None,
) -> list[Result]:
    """[work(items)] or, when the total weight (default: one per item) reaches `minimum` and
    splitting is possible, [work(first half), work(second half)], the second computed in a
    forked child."""
    return in_parts(work, items, 2, minimum, weights)


class _Split:
    # this process works on one part while others work on theirs (a forked child, or the
    # parent while its children run): a part is not split again, the cores are taken
    in_parts = False


def in_parts(
    work: Callable[[Sequence[Item]], Result],
    items: Sequence[Item],
    parts: int,
    minimum: int,
    weights: Sequence[int] | None = None,
) -> list[Result]:
    """[work(items)] or, when the total weight (default: one per item) reaches `minimum` and
    splitting is possible, [work(part) for each of up to `parts` contiguous parts of about
    equal weight, no more than there are cores], every part but the first computed in a forked
    child of its own."""
    weights = [1] * len(items) if weights is None else weights
    total = sum(weights)
    parts = min(parts, len(items))
    if parts < 2 or total < max(minimum, 1) or not can_split():
        return [work(items)]
    bounds = [0, *cut_points(weights, min(parts, _cores())), len(items)]
    slices = [(start, stop) for start, stop in itertools.pairwise(bounds) if stop > start]
    if len(slices) < 2 or max(sum(weights[start:stop]) for start, stop in slices) > total * 3 / 4:
        return [work(items)]  # one item outweighs the rest: a child would only add its cost
    shares = [items[start:stop] for start, stop in slices]
    children: list[tuple[int, int] | None] = []
    try:
        for share in shares[1:]:
            children.append(_start(work, share))
        _Split.in_parts = True
        try:
            mine = work(shares[0])
        finally:
            _Split.in_parts = False
        results = [mine]
        for index, child in enumerate(children):
            theirs = None
            if child is not None:
                pid, reader = child
                children[index] = None  # its reader is closed and it is reaped below, whatever happens
                try:
                    theirs = _collect(pid, reader)
                except BaseException:  # interrupted while taking a child's result: stop the child too
                    _kill(pid)  # (not reaped yet: its pid is still its own, a zombie at worst)
                    raise
                _reap(pid)
            results.append(work(shares[index + 1]) if theirs is None else theirs)
        return results
    except BaseException:  # an error here (or an interrupt): the children still running are stopped
        for child in children:
            if child is not None:
                os.close(child[1])
                _kill(child[0])
        raise


def _start(work: Callable[[Sequence[Item]], Result], items: Sequence[Item]) -> tuple[int, int] | None:
    """Fork a child computing work(items) into a pipe: (its pid, the pipe's reading end)."""
    try:
        reader, writer = os.pipe()
    except OSError:
        return None
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:  # out of processes or memory: do it all here
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the child: compute, send, leave without running anything of the parent's
        _Split.in_parts = True
        code = 1
        try:
            os.close(reader)
            # the parent's objects out of the collector's reach: a collection walking them would
            # write to (so copy) every page of the parent's heap the child shares
            gc.freeze()
            die_with_parent(parent)
            import pickle  # deferred: only a split pays for it (3 ms of every start-up)

            result = work(items)
            # streamed out: the child never holds the whole pickle besides its objects
            with open(writer, "wb", buffering=_BUFFER) as channel:
                pickle.dump(result, channel, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        except BaseException:  # any failure: the parent does this half itself
            pass
        finally:
            os._exit(code)
    os.close(writer)
    return pid, reader


def die_with_parent(parent: int) -> None:
    """In the child: be killed when the parent dies (a SIGKILL or SIGTERM of the parent alone
    must not leave a child computing with the output pipes open), where Linux offers it."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes  # deferred: only in a forked child, on Linux

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _collect(pid: int, reader: int) -> Result | None:
    """The child's result (closing `reader`), or None when it failed. The child is waited for
    but not reaped: until `_reap`, its pid cannot be another process's, so an interrupt while the
    result is unpickled kills nothing else (`_kill`).

    The pickle is read whole before it is unpickled (2.5 MiB at 500 releases, most of it the
    files' texts), and the child waited for in between: it ends, and its objects are gone,
    before their copies are made here. Unpickled from the pipe as it came, the two were held at
    once: the run's peak memory, 5 MiB more."""
    import pickle  # deferred: only a split pays for it (3 ms of every start-up)

    try:
        with open(reader, "rb", buffering=_BUFFER) as channel:
            sent = channel.read()
    except OSError:
        sent = b""
    try:
        ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        finished = ended is not None and ended.si_code == os.CLD_EXITED and ended.si_status == 0
    except ChildProcessError:  # reaped by someone else: a result read whole is the child's all the same
        finished = True
    if not finished or not sent:
        return None
    try:
        return pickle.loads(sent)
    except Exception:  # a broken result (the child failed): this half is done here
        return None


def _kill(pid: int) -> None:
    """Stop and reap a child that has not been reaped."""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass
