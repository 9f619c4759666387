"""Work over many items done by several processes at once: this one and forked children.

CI runners and laptops have at least two cores, and a check of a large input (hundreds of
rendered releases) spends most of its time reading YAML, one file after the other, in one
process. `in_turns` forks, and this process and the children take the items in turns (batches
of files, a stream's two parts, `-j N`'s targets): each takes the next item no one has taken
when it is free, so the one that goes faster (a smaller share of a core shared with another
program, items that cost less) takes more. Each child sends its results back pickled; the
caller gets every item's result in order, so what it builds from them is exactly what one pass
over the items would build.

It falls back to doing everything here, with the same result, whenever splitting cannot pay or
might not be safe: the fast paths are off (the tests' reference path), the work is small, there
is one core, the platform cannot fork (or is macOS, where a forked child may crash in a system
framework), this process runs threads (a fork copies their locks held), SIGCHLD is ignored, or
it takes turns already, here or in a child (the cores are taken), or is a worker of a library
user's process pool. A child that fails in any way (an error reading a file, a crash, a result
that does not unpickle, killed while it held the turn) costs nothing but time: the items it
took are done again here, so an error is raised here, as one pass would raise it.

The child only computes: it writes nothing but its result into a pipe and leaves with
`os._exit`, so it never flushes this process's buffered output nor runs its exit handlers. A
child this process stops (an error here, Ctrl-C, SIGTERM) is asked with SIGTERM first: it
leaves its work as an exception would, so what it wrote to the temporary folder (kubeconform's
copies of a target's manifests) is removed before it exits; SIGKILL only if it has not ended
within a second.
"""

from __future__ import annotations

import gc
import os
import signal
import struct
import sys
import time
from collections.abc import Callable, Sequence
from types import CodeType, FrameType
from typing import TypeVar

from . import speedups

Item = TypeVar("Item")
Result = TypeVar("Result")


_BUFFER = 1 << 16


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
        _Split.taking_turns
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


def batches(items: Sequence[Item], weights: Sequence[int], count: int) -> list[list[Item]]:
    """`items` in up to `count` contiguous batches of about equal weight (each item in the batch
    where the larger half of its weight falls): turns of a batch each cost less than a turn
    of each item, and still let the faster process take more."""
    total, before = sum(weights), 0
    out: list[list[Item]] = []
    batch: list[Item] = []
    for item, weight in zip(items, weights, strict=True):
        if batch and len(out) + 1 < count and (before + weight / 2) * count >= total * (len(out) + 1):
            out.append(batch)
            batch = []
        batch.append(item)
        before += weight
    return [*out, batch] if batch else out


class _Split:
    # this process takes turns with others (a forked child, or the parent while its children
    # run): an item is not split again, the cores are taken
    taking_turns = False


# the turn: the position of the next item no process has taken, 8 bytes in a pipe. Whoever
# reads it takes that item and writes the next position back, so each item is taken once, by
# the first process free for it; the pipe's one message is the lock (no shared memory, whose
# writes another core may see out of order)
_TURN = struct.Struct("q")
# how long a process waits for the turn before asking whether a child died holding it
_TURN_CHECK = 0.2


def in_turns(
    work: Callable[[Item], Result],
    items: Sequence[Item],
    processes: int,
    minimum: int,
    weights: Sequence[int] | None = None,
) -> list[Result]:
    """[work(item) for item in items], in order. When the total weight (default: one per item)
    reaches `minimum` and splitting is possible, up to `processes` processes (this one and
    forked children, no more than the cores) take the items in turns, each the next one not
    taken when it is free: whichever goes faster (a core shared with another program, a
    larger file) does more, and all finish about together.

    The result is exactly one pass's: each item's result is computed once, and an item no
    child's result brings back (a child that failed or died) is computed here. An error is
    raised as one pass raises it: an item's error here is raised after every earlier item has
    been computed without one (here, the children stopped), so the first error in item order
    is the one raised."""
    weights = [1] * len(items) if weights is None else weights
    total = sum(weights)
    processes = min(processes, len(items), _cores())
    if processes < 2 or total < max(minimum, 1) or not can_split():
        return [work(item) for item in items]
    if max(weights) > total * 3 / 4:
        return [work(item) for item in items]  # one item outweighs the rest: a child would only add its cost
    try:
        turn = os.pipe()
    except OSError:
        return [work(item) for item in items]
    children: list[tuple[int, int]] = []
    done: dict[int, Result] = {}
    try:
        os.set_blocking(turn[0], False)  # (`_next_turn`)
        os.write(turn[1], _TURN.pack(0))
        for _ in range(processes - 1):
            child = _start(lambda: _take_turns(work, items, turn, None))
            if child is not None:
                children.append(child)
        _Split.taking_turns = True
        try:
            mine = _take_turns(work, items, turn, [pid for pid, _ in children])
        finally:
            _Split.taking_turns = False
        # every item is taken: a turn for each child, whatever happened to the one going round
        # (a child killed holding it would leave the others waiting for it, and this process
        # waiting for their results); a child reading one takes nothing and ends
        for _ in children:
            os.write(turn[1], _TURN.pack(len(items)))
        done.update(mine)
        while children:
            pid, reader = children.pop(0)
            try:
                theirs: list | None = _collect(pid, reader)
            except BaseException:  # interrupted while taking a child's result: stop the child too
                _stop(pid)  # (not reaped yet: its pid is still its own, a zombie at worst)
                raise
            _reap(pid)
            for position, result in theirs or ():
                done.setdefault(position, result)
    except _ItemFailed as failed:  # this process's item: the children stopped, earlier items first
        _stop_all(children)
        children.clear()
        done.update(failed.done)
        for earlier in range(failed.index):
            if earlier not in done:
                work(items[earlier])  # an earlier item's error is the one one pass raises
        raise failed.error from None
    except BaseException:  # an interrupt: the children still running are stopped
        _stop_all(children)
        raise
    finally:
        os.close(turn[0])
        os.close(turn[1])
    return [done[index] if index in done else work(items[index]) for index in range(len(items))]


class _ItemFailed(Exception):
    """`work` raised `error` on item `index` in this process."""

    def __init__(self, index: int, error: Exception, done: list):
        super().__init__(index)
        self.index, self.error, self.done = index, error, done


def _take_turns(
    work: Callable[[Item], Result], items: Sequence[Item], turn: tuple[int, int], children: list[int] | None
) -> list:
    """[(position, work(item))] of the items this process took, in order of position (the
    parent's `children`: the pids it watches while it waits for the turn)."""
    done: list = []
    while True:
        index = _next_turn(turn, len(items), children)
        if index is None:
            return done
        try:
            done.append((index, work(items[index])))
        except Exception as error:
            raise _ItemFailed(index, error, done) from error


def _next_turn(turn: tuple[int, int], count: int, children: list[int] | None) -> int | None:
    """The position of the next item for this process to take, None when all are taken.

    The turn's reading end never blocks (set so before the children are forked): a process
    waits until the turn is there, then reads it, and another may have taken it in between.
    A child waits as long as it takes. The parent (`children`) waits a while at a time, asking
    meanwhile whether a child died holding the turn (killed between reading and writing it
    back): then no process takes another item (the turn written back says all are taken) and
    what the dead child took is computed here. A child only ends normally after writing the
    turn back."""
    import select  # deferred: only processes taking turns wait for one

    reader, writer = turn
    waiting = select.poll()  # (not select(): no limit on the descriptor's number)
    waiting.register(reader, select.POLLIN)
    while True:
        if waiting.poll(None if children is None else _TURN_CHECK * 1000):
            try:
                taken = os.read(reader, _TURN.size)
            except BlockingIOError:  # another process took it first
                continue
            break
        if children is not None and any(_has_ended(pid) for pid in children):
            os.write(writer, _TURN.pack(count))
            return None
    index = _TURN.unpack(taken)[0]
    os.write(writer, _TURN.pack(min(index + 1, count)))
    return index if index < count else None


def _has_ended(pid: int) -> bool:
    """Whether a child has ended, without reaping it."""
    try:
        ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return ended is not None


def _start(compute: Callable[[], Result]) -> tuple[int, int] | None:
    """Fork a child sending compute()'s result into a pipe: (its pid, the pipe's reading end)."""
    try:
        reader, writer = os.pipe()
    except OSError:
        return None
    parent = os.getpid()
    try:
        pid, held = fork_holding_interrupts()
    except OSError:  # out of processes or memory: do it all here
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the child: compute, send, leave without running anything of the parent's
        _Split.taking_turns = True
        code = 1
        try:
            # from here on a SIGTERM (this process stopping it, or a signal to the whole group)
            # ends the work as an exception: its `finally`s and `with`s clean up, this `try`
            # takes it (and a Ctrl-C held back across the fork)
            stop_in_work(_start.__code__)
            release_interrupts(held)
            os.close(reader)
            # the parent's objects out of the collector's reach: a collection walking them would
            # write to (so copy) every page of the parent's heap the child shares
            gc.freeze()
            die_with_parent(parent)
            import pickle  # deferred: only a split pays for it (3 ms of every start-up)

            result = compute()
            # streamed out: the child never holds the whole pickle besides its objects
            with open(writer, "wb", buffering=_BUFFER) as channel:
                pickle.dump(result, channel, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        except BaseException:  # any failure: the parent does this half itself
            pass
        finally:
            os._exit(code)
    os.close(writer)
    try:
        release_interrupts(held)
    except BaseException:  # a Ctrl-C or SIGTERM that came during the fork: the child stops too
        os.close(reader)
        _stop(pid)
        raise
    return pid, reader


_INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def fork_holding_interrupts() -> tuple[int, set[int | signal.Signals] | None]:
    """os.fork() with SIGINT and SIGTERM held back (not lost) across it, in both processes, until
    `release_interrupts(held)`: the parent releases them at once, a child inside the `try` that
    ends it with `os._exit`. Taken earlier, Ctrl-C's exception would leave the child through this
    process's own stack: printing "interrupted", flushing this process's buffered output, exiting
    as it does. (A signal that came before the fork is this process's alone: Python clears the
    child's pending ones.) (pid, what release_interrupts restores); OSError as os.fork."""
    held = (
        signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS) if hasattr(signal, "pthread_sigmask") else None
    )
    try:
        return os.fork(), held
    except BaseException:
        release_interrupts(held)
        raise


def release_interrupts(held: set[int | signal.Signals] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


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


class _Stopped(BaseException):
    """In a child: SIGTERM, raised where its work is (a BaseException: nothing takes it for an
    error of the work)."""


def stop_in_work(site: CodeType) -> None:
    """In a forked child, first thing in the `try` of its fork site (`site`, that function's
    code), which ends it with `os._exit`: SIGINT and SIGTERM raise (KeyboardInterrupt, _Stopped)
    where its work is, so its `finally`s and `with`s clean up, but not in the fork site's own
    lines: raised in its `except` or `finally`, one would leave the child through this process's
    stack (printing and exiting as the parent). There the signal is let go: the child is ending.
    One raised inside a finalizer (`weakref.finalize`, `__del__`), where Python drops it, is sent
    again; and a child prints nothing of its own (its stderr is the parent's)."""

    def stop(signum: int, frame: FrameType | None) -> None:
        if frame is not None and frame.f_code is site:
            return
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # one stop: its cleaning is not cut short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt if signum == signal.SIGINT else _Stopped

    def dropped(unraisable: sys.UnraisableHookArgs) -> None:
        if isinstance(unraisable.exc_value, (KeyboardInterrupt, _Stopped)):
            again = signal.SIGINT if isinstance(unraisable.exc_value, KeyboardInterrupt) else signal.SIGTERM
            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
            os.kill(os.getpid(), again)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sys.unraisablehook = dropped


_STOP_SECONDS = 1.0  # how long a child asked to stop may take to clean up


def _stop_all(children: list[tuple[int, int]]) -> None:
    """Stop the children still running (their result unread): all asked at once, then reaped."""
    for pid, reader in children:
        os.close(reader)
        _ask_to_stop(pid)
    deadline = time.monotonic() + _STOP_SECONDS
    for pid, _reader in children:
        _kill(pid, deadline)


def _stop(pid: int) -> None:
    """Stop and reap one child that has not been reaped."""
    _ask_to_stop(pid)
    _kill(pid, time.monotonic() + _STOP_SECONDS)


def _ask_to_stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass


def _kill(pid: int, deadline: float = 0.0) -> None:
    """Reap a child that has not been reaped, once it has ended or, at `deadline`, killed."""
    while time.monotonic() < deadline and not _has_ended(pid):
        time.sleep(0.005)
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
