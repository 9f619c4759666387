"""Work split between this process and a forked child (starter_lint/turns.py): the same
result as one pass, whatever happens to the child, and no child where one is not safe."""

from __future__ import annotations

import os
import pickle
import sys
import threading
from pathlib import Path

import pytest

from starter_lint import speedups, turns
from starter_lint.manifests import stream

from .support import REPO

needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork") or turns._cores() < 2, reason="splitting needs fork and two cores"
)


def _with_pid(item):
    return (item, os.getpid())


def _slow_with_pid(item):
    import time

    time.sleep(0.003)
    return (item, os.getpid())


@needs_fork
def test_items_are_taken_in_turns_and_given_back_in_order():
    items = list(range(60))
    results = turns.in_turns(_slow_with_pid, items, 2, minimum=2)
    assert [item for item, _ in results] == items
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2  # this process and one child took some each
    with pytest.raises(ChildProcessError):  # the child reaped
        os.waitpid(-1, os.WNOHANG)


@needs_fork
def test_the_process_that_goes_faster_takes_more():
    parent = os.getpid()

    def work(item):
        import time

        time.sleep(0.02 if os.getpid() == parent else 0.002)  # a core shared with another program
        return (item, os.getpid())

    results = turns.in_turns(work, list(range(40)), 2, minimum=2)
    assert [item for item, _ in results] == list(range(40))
    assert sum(pid != parent for _, pid in results) >= 25


@pytest.mark.parametrize("weights", [[1] * 10, [0] * 9 + [100]])
def test_small_work_or_one_heavy_item_is_done_here(weights):
    results = turns.in_turns(_with_pid, list(range(10)), 2, minimum=11, weights=weights)
    assert results == [_with_pid(item) for item in range(10)]


@needs_fork
def test_no_child_with_the_fast_paths_off(monkeypatch):
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    assert turns.in_turns(_slow_with_pid, list(range(10)), 2, minimum=2) == [_with_pid(i) for i in range(10)]


@needs_fork
def test_no_child_while_threads_run():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not turns.can_split()
        assert {pid for _, pid in turns.in_turns(_slow_with_pid, list(range(10)), 2, minimum=2)} == {
            os.getpid()
        }
    finally:
        stop.set()
        thread.join()
    assert turns.can_split()


def _fails_in_a_child(parent: int):
    def work(item):
        if os.getpid() != parent:
            raise OSError("the child cannot read this")
        return _slow_with_pid(item)

    return work


def _dies_in_a_child(parent: int):
    def work(item):
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return _slow_with_pid(item)

    return work


def _unpicklable_in_a_child(parent: int):
    def work(item):
        if os.getpid() != parent:
            return lambda: None
        return _slow_with_pid(item)

    return work


@needs_fork
@pytest.mark.parametrize("failing", [_fails_in_a_child, _dies_in_a_child, _unpicklable_in_a_child])
def test_a_child_that_fails_costs_only_time(failing):
    results = turns.in_turns(failing(os.getpid()), list(range(10)), 2, minimum=2)
    assert results == [_with_pid(item) for item in range(10)]  # all done here


@needs_fork
def test_a_child_that_dies_holding_the_turn_stops_nothing(monkeypatch):
    """Killed between reading the turn and writing it back: the turn is gone. This process
    notices (the child ended), takes no more turns and computes what is left."""
    import time

    parent = os.getpid()
    real_next_turn = turns._next_turn

    def next_turn(turn, count, children):
        if os.getpid() != parent:
            import select

            waiting = select.poll()
            waiting.register(turn[0], select.POLLIN)
            while True:  # takes the turn, never gives it back
                waiting.poll()
                try:
                    os.read(turn[0], turns._TURN.size)
                    os._exit(1)
                except BlockingIOError:
                    continue
        return real_next_turn(turn, count, children)

    monkeypatch.setattr(turns, "_next_turn", next_turn)
    started = time.monotonic()
    results = turns.in_turns(_slow_with_pid, list(range(20)), 2, minimum=2)
    assert results == [_with_pid(item) for item in range(20)]
    assert time.monotonic() - started < 10


# a child SIGKILLed (the OOM killer, say) between reading the turn and writing it back, at the
# worst moments: the run still ends, with every item's result (each script prints them)
_KILLED_HOLDING_THE_TURN = {
    # three processes: the parent has taken its last turn and waits for the children's results;
    # the first child reads the turn saying all is taken and dies; the second waits for the turn
    "the last turn, three processes": (
        "import os, signal, struct, time\n"
        "from starter_lint import turns\n"
        "turns._cores = lambda: 3\n"
        "parent, real_write, real_start, started = os.getpid(), os.write, turns._start, []\n"
        "def start(compute):\n"
        "    started.append(1)\n"
        "    number = len(started)\n"
        "    def numbered():\n"
        "        os.environ['CHILD'] = str(number)\n"
        "        return compute()\n"
        "    return real_start(numbered)\n"
        "turns._start = start\n"
        "def write(fd, data):\n"
        "    if os.environ.get('CHILD') == '1' and len(data) == 8 and struct.unpack('q', data)[0] == 12:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real_write(fd, data)\n"
        "os.write = write\n"
        "def work(item):\n"
        "    child = os.environ.get('CHILD')\n"
        "    time.sleep(0.6 if child == '1' else 1.0 if child else 0.05)\n"
        "    return item * 2\n"
        "print(turns.in_turns(work, list(range(12)), 3, 0))\n"
    ),
    # two processes: the parent sees the turn, is descheduled before reading it, and the child
    # takes it meanwhile and dies
    "between the parent seeing the turn and reading it": (
        "import os, signal, struct, time\n"
        "from starter_lint import turns\n"
        "turns._cores = lambda: 2\n"
        "parent, real_read, real_write = os.getpid(), os.read, os.write\n"
        "def read(fd, size):\n"
        "    if os.getpid() == parent and size == 8:\n"
        "        time.sleep(0.3)\n"
        "    return real_read(fd, size)\n"
        "def write(fd, data):\n"
        "    if os.getpid() != parent and len(data) == 8 and struct.unpack('q', data)[0] == 5:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real_write(fd, data)\n"
        "os.read, os.write = read, write\n"
        "def work(item):\n"
        "    time.sleep(0.05)\n"
        "    return item * 2\n"
        "print(turns.in_turns(work, list(range(12)), 2, 0))\n"
    ),
}


@needs_fork
@pytest.mark.parametrize("moment", list(_KILLED_HOLDING_THE_TURN))
def test_a_child_killed_holding_the_turn_at_the_worst_moment_stops_nothing(moment):
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", _KILLED_HOLDING_THE_TURN[moment]],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{[item * 2 for item in range(12)]}\n"


@needs_fork
def test_an_error_here_stops_the_children_and_is_raised(monkeypatch):
    monkeypatch.setattr(turns, "_cores", lambda: 3)
    parent = os.getpid()

    def work(item):
        if os.getpid() == parent:
            raise ValueError("this item is broken")
        import time

        time.sleep(30)
        return item

    with pytest.raises(ValueError, match="this item is broken"):
        turns.in_turns(work, list(range(10)), 3, minimum=2)
    with pytest.raises(ChildProcessError):  # the children killed and reaped: none is left
        os.waitpid(-1, os.WNOHANG)


@needs_fork
@pytest.mark.parametrize("run", range(5))
def test_the_first_error_in_item_order_is_raised_as_one_pass_raises_it(run):
    def work(item):
        import time

        time.sleep(0.002)
        if item in (3, 7, 8):
            raise ValueError(f"item {item} is broken")
        return item

    with pytest.raises(ValueError, match="item 3 is broken"):
        turns.in_turns(work, list(range(10)), 2, minimum=2)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@needs_fork
def test_as_many_processes_as_asked_and_cores_allow(monkeypatch):
    monkeypatch.setattr(turns, "_cores", lambda: 3)
    results = turns.in_turns(_slow_with_pid, list(range(90)), 3, minimum=2)
    assert [item for item, _ in results] == list(range(90))
    assert len({pid for _, pid in results}) == 3
    monkeypatch.setattr(turns, "_cores", lambda: 2)
    assert len({pid for _, pid in turns.in_turns(_slow_with_pid, list(range(60)), 4, minimum=2)}) == 2


@needs_fork
def test_an_item_is_not_split_again():
    """This process while its children work, and each child, has its core: loading a large
    input in an item (a `-j` target) stays in one process."""

    def work(item):
        import time

        time.sleep(0.003)
        return (item, turns.can_split())

    results = turns.in_turns(work, list(range(20)), 2, minimum=2)
    assert [allowed for _, allowed in results] == [False] * 20
    assert turns.can_split()  # and splitting is allowed again after


@needs_fork
def test_the_child_writes_nothing_to_the_output(capfd):
    sys.stdout.write("buffered, not flushed")  # a child leaving with exit() would print it again
    turns.in_turns(_slow_with_pid, list(range(10)), 2, minimum=2)
    sys.stdout.flush()
    assert capfd.readouterr().out == "buffered, not flushed"


# the shapes loading treats apart: a plain stream, a List, anchors and aliases (composed), a
# flow document after its marker, a duplicate key (each document on its own)
_STREAMS = {
    "plain.yaml": (
        "# Source: starter/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
        "data:\n  k: v\n---\n# Source: starter/templates/b.yaml\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata: {name: b}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n"
        "        image: r/i:1\n"
    ),
    "list.yaml": (
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
        "    name: l1\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: l2\n  spec: {}\n"
    ),
    "anchors.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &n x\n  labels: {app: *n}\nspec: {}\n"
        "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: flow}, spec: {}}\n"
    ),
    "duplicate.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  name: e\nspec: {}\n",
}


def test_loaded_objects_survive_the_hand_over_with_their_positions(tmp_path):
    """What a child sends back (ManifestObjects with their documents and locators) is compact
    and complete: every object finds its lines as the one loaded here does."""
    for name, text in _STREAMS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    loaded = stream._load_files(stream.expand_paths([str(tmp_path)]), None)
    assert loaded.objects
    copy = pickle.loads(pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL))
    for original, handed in zip(loaded.objects, copy.objects, strict=True):
        assert handed.obj == original.obj
        assert (handed.path, handed.index, handed.line, handed.template, handed.end_line) == (
            original.path,
            original.index,
            original.line,
            original.template,
            original.end_line,
        )
        for pointer in ("/kind", "/metadata/name", "/spec"):
            assert handed.locate(pointer) == original.locate(pointer)
    assert [(rule, p.message) for rule, p in copy.problems] == [
        (rule, p.message) for rule, p in loaded.problems
    ]
    assert loaded.problems  # the duplicate key


def test_a_files_text_is_handed_over_once_whatever_its_number_of_objects():
    text = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(500))
    loaded = stream.load_text(text, "many.yaml")
    assert len(loaded.objects) == 500
    sent = pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)
    assert sent.count(b"name: c499") == 1


@needs_fork
def test_a_large_input_is_read_by_two_processes_with_the_same_result(tmp_path, monkeypatch):
    for n in range(6):
        (tmp_path / f"release-{n}.yaml").write_text(
            "".join(
                f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{n}-{i}\ndata:\n  k: v{i}\n"
                for i in range(20)
            ),
            encoding="utf-8",
        )
    (tmp_path / "release-3.yaml").write_text("kind: [broken\n", encoding="utf-8")
    serial = stream.load_paths([str(tmp_path)])
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(turns.os, "fork", lambda: forks.append(1) or real_fork())
    monkeypatch.setattr(stream, "SPLIT_BYTES", 1)
    split = stream.load_paths([str(tmp_path)])
    assert forks == [1]
    assert split.files == serial.files
    assert split.sources == serial.sources
    assert [o.obj for o in split.objects] == [o.obj for o in serial.objects]
    assert [(o.path, o.line) for o in split.objects] == [(o.path, o.line) for o in serial.objects]
    assert [(rule, p.message, p.location) for rule, p in split.problems] == [
        (rule, p.message, p.location) for rule, p in serial.problems
    ]
    assert split.objects[-1].locate("/data/k") == serial.objects[-1].locate("/data/k")


# streams whose parts read as the whole does, and streams where a part falls back to reading the
# whole file (a YAML error, a duplicate key, a document that is no object, a directive cut off
# from its document): the objects, their numbers, lines and positions are the same either way
_PARTED = {
    "plain": "".join(
        f"---\n# Source: starter/templates/t{i}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"
        f"data:\n  k: v{i}\n"
        for i in range(40)
    ),
    "crlf and NEL": "".join(
        f"---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: c{i}\x85data: {{k: v}}\r\n"
        for i in range(40)
    ),
    "empty documents and a List": "---\n---\n"
    + "".join(
        f"---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: l{i}}}\n"
        + ("...\n" if i % 2 else "")
        for i in range(30)
    ),
    "anchors in the first part": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: &n a}\ndata: {k: *n}\n"
    + "".join(f"--- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: f{i}}}}}\n" for i in range(40)),
    "an error in the second part": "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(40)
    )
    + "---\nkind: [broken\n",
    "a duplicate key late": "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(40)
    )
    + "---\nkind: ConfigMap\nkind: Secret\n",
    "not an object late": "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(40)
    )
    + "---\n- a list\n",
    "directives": "".join(
        f"%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(40)
    ),
}


def _loaded(path, monkeypatch, split: bool):
    monkeypatch.setattr(stream, "SPLIT_BYTES", 2 if split else 1 << 40)
    return stream.load_paths([str(path)])


def _described(loaded):
    return (
        loaded.files,
        list(loaded.sources),
        [
            (o.obj, o.path, o.index, o._locator.document.index, o.line, o.template, o.end_line)
            + (o.locate("/metadata/name"), o.locate("/data/k"))
            for o in loaded.objects
        ],
        [(rule, p.message, p.location, p.key) for rule, p in loaded.problems],
    )


@needs_fork
@pytest.mark.parametrize("name", list(_PARTED))
def test_one_large_stream_is_read_in_two_parts_as_it_is_whole(tmp_path, monkeypatch, name):
    path = tmp_path / "stream.yaml"
    path.write_bytes(_PARTED[name].encode("utf-8"))
    whole = _loaded(path, monkeypatch, split=False)
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(turns.os, "fork", lambda: forks.append(1) or real_fork())
    parted = _loaded(path, monkeypatch, split=True)
    # a directive before every marker: no place to cut where the parts read as the whole
    assert forks == ([] if name == "directives" else [1])
    assert _described(parted) == _described(whole)
    assert parted.sources[parted.files[0]] is not None
    # the documents read by the child share this process's text: it was not sent back
    texts = {id(o._locator.document._source) for o in parted.objects if o._locator.document._end >= 0}
    assert texts <= {id(parted.sources[parted.files[0]])}


def test_a_stream_with_no_document_start_past_its_middle_is_read_whole(tmp_path, monkeypatch):
    path = tmp_path / "one.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n" + "  k: v\n" * 50, encoding="utf-8"
    )
    assert _described(_loaded(path, monkeypatch, split=True)) == _described(
        _loaded(path, monkeypatch, split=False)
    )


@needs_fork
def test_a_large_render_is_read_in_two_parts(monkeypatch):
    text = _PARTED["plain"]
    monkeypatch.setattr(stream, "SPLIT_BYTES", 1 << 40)
    whole = stream.load_text(text, "<rendered chart>")
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(turns.os, "fork", lambda: forks.append(1) or real_fork())
    monkeypatch.setattr(stream, "SPLIT_BYTES", 2)
    parted = stream.load_text(text, "<rendered chart>")
    assert forks == [1]
    assert _described(parted) == _described(whole)


# review findings: what must keep a run in one process, and what a cut must not lose


@needs_fork
def test_no_child_when_sigchld_is_ignored():
    """Ignored SIGCHLD (inherited from a CI agent): the kernel reaps the child, which could then
    not be waited for; the work is done here."""
    import signal

    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert not turns.can_split()
        assert turns.in_turns(_slow_with_pid, list(range(10)), 2, minimum=2) == [
            _with_pid(i) for i in range(10)
        ]
    finally:
        signal.signal(signal.SIGCHLD, previous)


@needs_fork
def test_a_fifo_among_the_files_keeps_the_reading_in_one_process(tmp_path, monkeypatch):
    for n in range(4):
        (tmp_path / f"r{n}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{n}\n", encoding="utf-8"
        )
    fifo = tmp_path / "r9.yaml"
    os.mkfifo(fifo)
    writer = threading.Thread(
        target=lambda: fifo.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: piped\n")
    )
    writer.start()
    forks = []
    monkeypatch.setattr(turns.os, "fork", lambda: forks.append(1) or os.getpid())  # must not be reached
    monkeypatch.setattr(stream, "SPLIT_BYTES", 1)
    try:
        loaded = stream.load_paths([str(tmp_path / f"r{n}.yaml") for n in range(4)] + [str(fifo)])
    finally:
        writer.join(timeout=10)
    assert forks == []
    assert [o.name for o in loaded.objects] == ["c0", "c1", "c2", "c3", "piped"]


@needs_fork
def test_a_source_comment_before_the_cut_stays_with_its_document(tmp_path, monkeypatch):
    """After `...` (or a flow document) the lines up to the next `---` are the next document's
    header in one pass: the stream is not cut there."""
    text = "".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n...\n# Source: chart/templates/t{i + 1}.yaml\n---\n"
        for i in range(40)
    )
    path = tmp_path / "stream.yaml"
    path.write_text(text, encoding="utf-8")
    whole = _loaded(path, monkeypatch, split=False)
    parted = _loaded(path, monkeypatch, split=True)
    assert _described(parted) == _described(whole)
    assert [o.template for o in parted.objects][1:] == [f"chart/templates/t{i}.yaml" for i in range(1, 40)]


def test_a_stream_is_not_cut_when_no_child_can_read_a_part(tmp_path, monkeypatch):
    """The fast paths off (the reference path of the tests) or no child possible: one pass."""
    path = tmp_path / "stream.yaml"
    path.write_text(_PARTED["plain"], encoding="utf-8")
    calls = []
    real = stream._load_stream
    monkeypatch.setattr(stream, "_load_stream", lambda *args: calls.append(args[3:]) or real(*args))
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    _loaded(path, monkeypatch, split=True)
    assert calls == [()]


@needs_fork
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_the_child_does_not_outlive_a_killed_parent(tmp_path):
    import subprocess
    import time

    pid_file = tmp_path / "child.pid"
    script = (
        "import os, signal, time\n"
        "from starter_lint import turns\n"
        "parent = os.getpid()\n"
        "def work(item):\n"
        "    if os.getpid() != parent:\n"
        f"        open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "        time.sleep(60)\n"
        "    else:\n"
        f"        while not os.path.exists({str(pid_file)!r}): time.sleep(0.01)\n"
        "        time.sleep(0.2)\n"
        "        os.kill(parent, signal.SIGKILL)\n"
        "    return item\n"
        "turns.in_turns(work, list(range(10)), 2, minimum=2)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO))
    )
    assert done.returncode == -9
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            break  # gone
        if state in ("Z", "X"):
            break  # dead, waiting for a reaper
        time.sleep(0.05)
    else:
        pytest.fail(f"the child {child} still runs after its parent was killed")


@pytest.mark.parametrize(
    "written, cores",
    [
        ("max 100000\n", None),
        ("100000 100000\n", 1),
        ("150000 100000\n", 1),
        ("200000 100000\n", 2),
        ("junk", None),
    ],
)
def test_a_container_cpu_quota_counts_as_cores(tmp_path, written, cores):
    limits = tmp_path / "cpu.max"
    limits.write_text(written, encoding="ascii")
    assert turns.quota_cores(str(limits)) == cores
    assert turns.quota_cores(str(tmp_path / "absent")) is None


@needs_fork
def test_a_broken_part_sends_the_stream_straight_to_reading_document_by_document(tmp_path, monkeypatch):
    """A YAML error in one part is the whole stream's: no second attempt at reading it whole."""
    path = tmp_path / "stream.yaml"
    path.write_text(_PARTED["an error in the second part"], encoding="utf-8")
    whole = _loaded(path, monkeypatch, split=False)
    calls = []
    real = stream._load_stream
    monkeypatch.setattr(stream, "_load_stream", lambda *args: calls.append(args[3:]) or real(*args))
    parted = _loaded(path, monkeypatch, split=True)
    assert _described(parted) == _described(whole)
    assert () not in calls  # the whole stream was not read in one go


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX signals")
def test_ctrl_c_is_exit_130_with_one_line(tmp_path):
    """Ctrl-C (SIGINT to the process group) during a check: `interrupted`, exit 130, as a shell
    expects of an interrupted command (click turned it into `Abort`: "aborted", exit 2)."""
    import signal
    import subprocess
    import time

    for n in range(40):
        (tmp_path / f"r{n}.yaml").write_text(_PARTED["plain"], encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    args = [
        sys.executable,
        "-m",
        "starter_lint",
        "check",
        "--validator",
        "builtin",
        "--manifests",
        str(tmp_path),
    ]
    # slow enough to be interrupted: a `sitecustomize` that makes every load wait
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import pathlib, time\nfrom starter_lint.manifests import stream\nreal = stream._load_files\n"
        "def _slow(*a, **k):\n    pathlib.Path('loading').touch()\n    time.sleep(30)\n"
        "    return real(*a, **k)\nstream._load_files = _slow\n",
        encoding="utf-8",
    )
    env["PYTHONPATH"] = os.pathsep.join([str(slow), str(REPO)])
    started = subprocess.Popen(
        args,
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # Ctrl-C's default for the run, whatever this process has (`nohup pytest &` ignores it,
        # and a program started with SIGINT ignored never sees it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 (no lock taken)
    )
    # interrupted while it loads (a busy machine may take seconds to get there: not a fixed wait)
    waited = time.monotonic() + 60
    while not (tmp_path / "loading").exists() and started.poll() is None and time.monotonic() < waited:
        time.sleep(0.05)
    assert (tmp_path / "loading").exists(), "the check never reached its loading"
    os.killpg(started.pid, signal.SIGINT)
    _, stderr = started.communicate(timeout=30)
    assert started.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["starter-lint: interrupted"], stderr


# objects each half validates: valid ones, schema errors, an unknown kind, a removed API, one
# without a kind (SL704's, never validated) and a pattern RE2 checks (a CRD's)
_TO_VALIDATE = (
    "apiVersion: v1\nkind: Service\nmetadata: {{name: s{n}}}\nspec:\n  ports:\n  - port: 80\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{n}}}\nspec:\n  replicas: many\n"
    "  selector: {{matchLabels: {{app: a}}}}\n  template:\n    metadata: {{labels: {{app: a}}}}\n"
    "    spec:\n      containers:\n      - {{name: c, image: r/i:1, unknown: 1}}\n"
    "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w{n}}}\n"
    "---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {{name: i{n}}}\n"
    "---\nmetadata: {{name: untyped{n}}}\n"
    "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {{name: e{n}}}\n"
    "spec:\n  secretStoreRef: {{name: 'not a name!', kind: SecretStore}}\n  target: {{name: t}}\n"
)


@needs_fork
def test_each_process_validates_the_half_it_read(tmp_path, monkeypatch):
    """With the built-in validator, an object is validated in the process that read it
    (checks.manifests.validation_ahead): the child's verdicts come back with its objects, and
    they are the verdicts one process validating everything gives."""
    from starter_lint.checks.manifests import validation_ahead
    from starter_lint.options import Options
    from starter_lint.validate.validators import select_validator

    for n in range(20):
        (tmp_path / f"release-{n}.yaml").write_text(_TO_VALIDATE.format(n=n), encoding="utf-8")
    options = Options(cwd=str(tmp_path), validator="builtin")
    validate = validation_ahead(options)
    assert validate is not None
    log = tmp_path / "validated-in.txt"

    def recorded(objects):
        import time

        with open(log, "a", encoding="ascii") as pids:  # the child's memory is not this one's
            pids.write(f"{os.getpid()}\n")
        validate(objects)
        time.sleep(0.005)  # each process has time to take its turns

    monkeypatch.setattr(stream, "SPLIT_BYTES", 1)
    split = stream.load_paths([str(tmp_path / f"release-{n}.yaml") for n in range(20)], options, recorded)
    pids = log.read_text(encoding="ascii").split()
    # the first file here, before the fork (what it makes, the child shares); then each file in
    # the process that took it
    assert len(pids) == 20 and pids[0] == str(os.getpid()) and len(set(pids)) == 2
    reference = select_validator(options)
    typed = [o for o in split.objects if o.kind and o.api_version]
    ahead = [o for o in typed if o.verdict is not None]
    assert {o.kind for o in ahead} == {"Service", "Deployment", "Widget", "ExternalSecret"}
    assert {o.kind for o in typed if o.verdict is None} == {"Ingress"}  # removed: never validated
    assert [o.path for o in split.objects] == sorted(
        (o.path for o in split.objects), key=lambda p: int(p[8:-5])
    )
    for obj in ahead:
        assert obj.verdict == reference.validate(obj.obj), obj.ref
    assert {o.kind for o in ahead if o.verdict.errors} == {"Deployment", "ExternalSecret"}


@needs_fork
@pytest.mark.parametrize("validator", ["builtin", "auto"])
def test_validating_where_read_reports_what_validating_after_does(tmp_path, monkeypatch, validator):
    from .support import run_in_process

    for n in range(20):
        (tmp_path / f"release-{n}.yaml").write_text(_TO_VALIDATE.format(n=n), encoding="utf-8")
    args = ["check", "--validator", validator, "--format", "json", "--manifests", "."]
    monkeypatch.setenv("PATH", "")  # auto: no kubeconform, so the built-in validator
    monkeypatch.setattr(stream, "SPLIT_BYTES", 1)
    fast = run_in_process(args, tmp_path)
    monkeypatch.setattr(speedups, "FAST_PATHS", False)  # the reference: validated after the reading
    reference = run_in_process(args, tmp_path)
    assert fast == reference
    assert '"SL701"' in fast[1] and '"SL702"' in fast[1] and '"SL703"' in fast[1]


@needs_fork
def test_a_large_files_objects_are_validated_once_each_where_it_was_read(tmp_path, monkeypatch):
    """One stream cut in two parts: each part's objects are validated by the process that read
    them, and none again once the parts are joined."""
    from starter_lint.checks.manifests import validation_ahead
    from starter_lint.options import Options
    from starter_lint.validate import kube

    (tmp_path / "all.yaml").write_text(
        "---\n".join(_TO_VALIDATE.format(n=n) for n in range(20)), encoding="utf-8"
    )
    log = tmp_path / "validated.txt"
    real = kube.BuiltinValidator.validate_all

    def counted(self, objects):
        import time

        with open(log, "a", encoding="ascii") as counts:  # the child's memory is not this one's
            counts.write(f"{os.getpid()} {len(objects)}\n")
        time.sleep(0.05)  # the child has started and taken the other part meanwhile
        return real(self, objects)

    monkeypatch.setattr(kube.BuiltinValidator, "validate_all", counted)
    monkeypatch.setattr(stream, "SPLIT_BYTES", 2)
    options = Options(cwd=str(tmp_path), validator="builtin")
    loaded = stream.load_paths([str(tmp_path / "all.yaml")], options, validation_ahead(options))
    calls = [line.split() for line in log.read_text(encoding="ascii").splitlines()]
    assert len({pid for pid, _ in calls}) == 2  # this process and the child
    validated = [o for o in loaded.objects if o.verdict is not None]
    assert sum(int(count) for _, count in calls) == len(validated) == 20 * 4


@needs_fork
def test_an_interrupt_while_the_result_is_unpickled_kills_only_the_unreaped_child(monkeypatch):
    """The child has ended when its result is unpickled; until this process reaps it, its pid is
    its own (a zombie), so stopping it on Ctrl-C there can hit no other process; and it is
    reaped either way."""
    import pickle as pickle_module

    killed: list = []
    real_kill = os.kill

    def kill(pid, sig):
        # still our child, not yet reaped (waitid with WNOWAIT sees it; it raises once reaped)
        killed.append(os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None)
        real_kill(pid, sig)

    def interrupted(data):
        raise KeyboardInterrupt

    monkeypatch.setattr(turns.os, "kill", kill)
    monkeypatch.setattr(pickle_module, "loads", interrupted)
    children = set()
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            children.add(pid)
        return pid

    monkeypatch.setattr(turns.os, "fork", fork)
    with pytest.raises(KeyboardInterrupt):
        turns.in_turns(_slow_with_pid, list(range(10)), 2, minimum=2)
    assert killed and all(killed)  # asked to stop (SIGTERM), then SIGKILL: both before the reaping
    (pid,) = children
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


@needs_fork
def test_an_interrupt_that_comes_during_the_fork_waits_for_the_childs_try():
    """SIGINT and SIGTERM are held back across the fork: a child takes one only once it releases
    them inside the `try` that ends it with os._exit, never in this process's stack above it."""
    import signal

    pid, held = turns.fork_holding_interrupts()
    if pid == 0:
        code = 3
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.kill(os.getpid(), signal.SIGINT)  # arrives while held back: nothing raised here
            code = 4
            turns.release_interrupts(held)
            code = 5  # not reached: raised at the release
        except KeyboardInterrupt:
            pass
        finally:
            os._exit(code)
    turns.release_interrupts(held)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 4


@needs_fork
def test_a_stop_in_the_fork_sites_own_lines_is_let_go():
    """A SIGTERM the child takes in its fork site's `except` or `finally` (its work over) raises
    nothing there: raised, it would leave the child through the parent's stack."""
    import signal

    parent = os.getpid()

    def site():
        pid, held = turns.fork_holding_interrupts()
        if pid == 0:
            code = 3
            try:
                turns.stop_in_work(site.__code__)
                turns.release_interrupts(held)
                code = 4
            finally:
                os.kill(os.getpid(), signal.SIGTERM)  # taken here, in the site's own lines
                sum(range(10_000))  # (calls: Python takes pending signals at them)
                os._exit(code)
        turns.release_interrupts(held)
        return pid

    try:
        pid = site()
    finally:
        if os.getpid() != parent:  # the stop left the child through this frame
            os._exit(9)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 4
