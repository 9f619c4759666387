"""Work split between this process and a forked child (starter_lint/halves.py): the same
result as one pass, whatever happens to the child, and no child where one is not safe."""

from __future__ import annotations

import os
import pickle
import sys
import threading
from pathlib import Path

import pytest

from starter_lint import halves, speedups
from starter_lint.manifests import stream

from .support import REPO

needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork") or halves._cores() < 2, reason="splitting needs fork and two cores"
)


def _with_pid(items):
    return [(item, os.getpid()) for item in items]


@pytest.mark.parametrize(
    "weights, cut",
    [
        ([1, 1], 1),
        ([1, 1, 1, 1], 2),
        ([10, 1, 1, 1], 1),
        ([1, 1, 1, 10], 3),
        ([1, 2, 3, 4, 5, 6], 4),
        ([5], 0),
    ],
)
def test_the_cut_halves_the_weight(weights, cut):
    assert halves.split_at(weights) == cut


@needs_fork
def test_the_second_half_is_computed_by_a_child_and_the_order_kept():
    items = list(range(10))
    parts = halves.in_two_halves(_with_pid, items, minimum=2)
    assert len(parts) == 2
    joined = [item for part in parts for item, _ in part]
    assert joined == items
    assert {pid for _, pid in parts[0]} == {os.getpid()}
    assert {pid for _, pid in parts[1]} != {os.getpid()}  # the child's


@pytest.mark.parametrize("weights", [[1] * 10, [0] * 9 + [100]])
def test_small_work_or_an_unbalanced_cut_is_done_here(weights):
    parts = halves.in_two_halves(_with_pid, list(range(10)), minimum=11, weights=weights)
    assert parts == [_with_pid(range(10))]


@needs_fork
def test_no_child_with_the_fast_paths_off(monkeypatch):
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    assert halves.in_two_halves(_with_pid, list(range(10)), minimum=2) == [_with_pid(range(10))]


@needs_fork
def test_no_child_while_threads_run():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not halves.can_split()
        assert len(halves.in_two_halves(_with_pid, list(range(10)), minimum=2)) == 1
    finally:
        stop.set()
        thread.join()
    assert halves.can_split()


def _fails_in_a_child(parent: int):
    def work(items):
        if os.getpid() != parent:
            raise OSError("the child cannot read this")
        return _with_pid(items)

    return work


def _dies_in_a_child(parent: int):
    def work(items):
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return _with_pid(items)

    return work


def _unpicklable_in_a_child(parent: int):
    def work(items):
        if os.getpid() != parent:
            return [lambda: None]
        return _with_pid(items)

    return work


@needs_fork
@pytest.mark.parametrize("failing", [_fails_in_a_child, _dies_in_a_child, _unpicklable_in_a_child])
def test_a_child_that_fails_costs_only_time(failing):
    parts = halves.in_two_halves(failing(os.getpid()), list(range(10)), minimum=2)
    assert [item for part in parts for item in part] == _with_pid(range(10))  # all done here


@needs_fork
def test_an_error_here_stops_the_child_and_is_raised():
    parent = os.getpid()

    def work(items):
        if os.getpid() == parent:
            raise ValueError("this half is broken")
        import time

        time.sleep(30)
        return items

    with pytest.raises(ValueError, match="this half is broken"):
        halves.in_two_halves(work, list(range(10)), minimum=2)
    # the child was killed and reaped: no process of ours is left
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@pytest.mark.parametrize(
    "weights, parts, cuts",
    [
        ([1] * 9, 3, [3, 6]),
        ([1] * 4, 4, [1, 2, 3]),
        ([4, 1, 1, 1, 1], 2, [1]),
        ([1, 1], 3, [1, 1]),  # fewer items than parts: an empty part, dropped by in_parts
        ([], 2, [0]),
    ],
)
def test_the_cuts_share_the_weight(weights, parts, cuts):
    assert halves.cut_points(weights, parts) == cuts


@needs_fork
def test_each_part_is_computed_by_a_child_of_its_own_and_the_order_kept(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 3)
    items = list(range(12))
    parts = halves.in_parts(_with_pid, items, 3, minimum=2)
    assert [item for part in parts for item, _ in part] == items
    pids = [{pid for _, pid in part} for part in parts]
    assert pids[0] == {os.getpid()} and len(pids[1] | pids[2]) == 2 and os.getpid() not in pids[1] | pids[2]
    with pytest.raises(ChildProcessError):  # every child reaped
        os.waitpid(-1, os.WNOHANG)


@needs_fork
def test_no_more_parts_than_cores(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    assert len(halves.in_parts(_with_pid, list(range(12)), 4, minimum=2)) == 2


@needs_fork
def test_a_part_is_not_split_again():
    """The parent while its children work, and each child, has its core: loading a large input
    in a part (a `-j` target) stays in one process."""

    def work(items):
        return [(item, halves.can_split()) for item in items]

    parts = halves.in_parts(work, list(range(4)), 2, minimum=2)
    assert [allowed for part in parts for _, allowed in part] == [False] * 4
    assert halves.can_split()  # and splitting is allowed again after


@needs_fork
@pytest.mark.parametrize("failing", [_fails_in_a_child, _dies_in_a_child])
def test_a_failed_childs_part_is_done_here_in_its_place(monkeypatch, failing):
    monkeypatch.setattr(halves, "_cores", lambda: 3)
    parts = halves.in_parts(failing(os.getpid()), list(range(9)), 3, minimum=2)
    assert parts == [_with_pid(range(3)), _with_pid(range(3, 6)), _with_pid(range(6, 9))]


@needs_fork
def test_an_error_here_stops_every_child(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 3)
    parent = os.getpid()

    def work(items):
        if os.getpid() == parent:
            raise ValueError("this part is broken")
        import time

        time.sleep(30)
        return items

    with pytest.raises(ValueError, match="this part is broken"):
        halves.in_parts(work, list(range(9)), 3, minimum=2)
    with pytest.raises(ChildProcessError):  # both children killed and reaped
        os.waitpid(-1, os.WNOHANG)


@needs_fork
def test_the_child_writes_nothing_to_the_output(capfd):
    def work(items):
        return items

    sys.stdout.write("buffered, not flushed")  # a child leaving with exit() would print it again
    halves.in_two_halves(work, list(range(10)), minimum=2)
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
    monkeypatch.setattr(halves.os, "fork", lambda: forks.append(1) or real_fork())
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
    monkeypatch.setattr(halves.os, "fork", lambda: forks.append(1) or real_fork())
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
    monkeypatch.setattr(halves.os, "fork", lambda: forks.append(1) or real_fork())
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
        assert not halves.can_split()
        assert halves.in_two_halves(_with_pid, list(range(10)), minimum=2) == [_with_pid(range(10))]
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
    monkeypatch.setattr(halves.os, "fork", lambda: forks.append(1) or os.getpid())  # must not be reached
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
        "from starter_lint import halves\n"
        "parent = os.getpid()\n"
        "def work(items):\n"
        "    if os.getpid() != parent:\n"
        f"        open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "        time.sleep(60)\n"
        "    else:\n"
        f"        while not os.path.exists({str(pid_file)!r}): time.sleep(0.01)\n"
        "        time.sleep(0.2)\n"
        "        os.kill(parent, signal.SIGKILL)\n"
        "    return items\n"
        "halves.in_two_halves(work, list(range(10)), minimum=2)\n"
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
    assert halves.quota_cores(str(limits)) == cores
    assert halves.quota_cores(str(tmp_path / "absent")) is None


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
        args, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True, start_new_session=True
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
        with open(log, "a", encoding="ascii") as pids:  # the child's memory is not this one's
            pids.write(f"{os.getpid()}\n")
        validate(objects)

    monkeypatch.setattr(stream, "SPLIT_BYTES", 1)
    split = stream.load_paths([str(tmp_path / f"release-{n}.yaml") for n in range(20)], options, recorded)
    pids = log.read_text(encoding="ascii").split()
    # the first file here, before the fork (what it makes, the child shares); then each half
    assert len(pids) == 3 and pids[0] == str(os.getpid()) and pids.count(pids[0]) == 2
    reference = select_validator(options)
    typed = [o for o in split.objects if o.kind and o.api_version]
    ahead = [o for o in typed if o.verdict is not None]
    assert {o.kind for o in ahead} == {"Service", "Deployment", "Widget", "ExternalSecret"}
    assert {o.kind for o in typed if o.verdict is None} == {"Ingress"}  # removed: never validated
    assert ahead[-1].path.endswith("release-19.yaml")  # the child's half
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
        with open(log, "a", encoding="ascii") as counts:  # the child's memory is not this one's
            counts.write(f"{os.getpid()} {len(objects)}\n")
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

    monkeypatch.setattr(halves.os, "kill", kill)
    monkeypatch.setattr(pickle_module, "loads", interrupted)
    children = set()
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            children.add(pid)
        return pid

    monkeypatch.setattr(halves.os, "fork", fork)
    with pytest.raises(KeyboardInterrupt):
        halves.in_two_halves(_with_pid, list(range(10)), minimum=2)
    assert killed == [True]
    (pid,) = children
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)
