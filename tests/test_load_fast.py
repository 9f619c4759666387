"""The event builder (speedups.FAST_PATHS on) loads exactly what the general path loads.

Every manifest-like file under tests/ and a set of YAML edge cases (scalar resolution, keys that
are not strings, empty and comment-only documents, CRLF and NEL line breaks, and everything the
event builder leaves to the general path: anchors, aliases, tags, merge keys, duplicate keys,
directives, deep nesting, syntax errors) load to the same ManifestSet both ways.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from starter_lint import speedups
from starter_lint.errors import InputError
from starter_lint.manifests import stream
from starter_lint.manifests.documents import MAX_DEPTH
from starter_lint.manifests.yaml_loader import load_plain_stream

TESTS = Path(__file__).resolve().parent
FIXTURES = sorted(
    path
    for suffix in ("*.yaml", "*.yml", "*.json")
    for path in TESTS.rglob(suffix)
    if path.stat().st_size < 256 * 1024
)

HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: edge\ndata:\n"
SCALARS = [
    "2001-12-14t21:59:43.10-05:00",
    "2002-12-14",
    "0o14",
    "014",
    "0x1F",
    "0b101",
    "1_000",
    "190:20:30",
    "-0",
    "+12",
    "123456789012345678901234567890",
    "1.5e3",
    "6.8523015e+5",
    ".inf",
    "-.Inf",
    ".NaN",
    ".nan",
    "~",
    "null",
    "Null",
    "",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "True",
    "FALSE",
    "'quoted 1'",
    '"0x10"',
    "x" * 80,
    "tête",
    "a b c",
]
EDGE_CASES = {
    **{f"scalar {i}: {text!r}": f"{HEAD}  value: {text}\n" for i, text in enumerate(SCALARS)},
    "keys that are not strings": HEAD + "  1: a\n  true: b\n  ~: c\n  1.5: d\n  2001-01-01: e\n  0x10: f\n",
    "quoted keys": HEAD + "  'a': 1\n  \"b\": 2\n  '1': 3\n",
    "empty stream": "",
    "empty documents": "---\n---\n...\n",
    "comments only": "# nothing\n# here\n",
    "comment document between": f"---\n{HEAD}  a: b\n--- # c\n# only a comment\n---\n{HEAD}  c: d\n",
    "crlf": (HEAD + "  a: b\n---\n" + HEAD + "  c: |\n    x\n    y\n").replace("\n", "\r\n"),
    "nel": (HEAD + "  a: b\n---\n" + HEAD + "  c: d\n").replace("\n", "\x85"),
    "flow on the marker line": "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: f}, data: {a: '1'}}\n",
    "flow collections": HEAD + "  a: {b: [1, 2, {c: d}], e: []}\n  f: {}\n",
    "block scalars": HEAD + "  a: |\n    one\n    two\n  b: >-\n    three\n    four\n  c: |+\n    five\n\n",
    "lists of objects": "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  - 3\n",
    "not a mapping": "- a\n- b\n---\nplain text\n---\n42\n",
    "anchors and aliases": HEAD + "  a: &x hello\n  b: *x\n",
    "merge key": HEAD + "  base: &b {k: v}\n  more:\n    <<: *b\n    j: w\n",
    "value key": HEAD + "  =: x\n",
    "explicit tags": HEAD + "  a: !!str 1\n  b: !!binary aGVsbG8=\n  c: ! 12\n",
    "unknown tag": HEAD + "  a: !custom x\n",
    "tagged mapping": "--- !!map\n" + HEAD + "  a: b\n",
    "duplicate keys": HEAD + "  a: 1\n  a: 2\n---\n" + HEAD + "  b: 1\n",
    "duplicate keys after conversion": HEAD + "  1: a\n  '1': b\n",
    "complex key": HEAD + "  ? [a, b]\n  : c\n",
    "directive": "%YAML 1.1\n---\n" + HEAD + "  a: b\n",
    "syntax error": HEAD + "  a: [b\n---\n" + HEAD + "  c: d\n",
    "bad int tag": HEAD + "  a: !!int hunter2\n",
    "deep nesting": HEAD + "  a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n",
    "nesting at the limit": HEAD + "  a: " + "[" * (MAX_DEPTH - 3) + "]" * (MAX_DEPTH - 3) + "\n",
    "source comments": "---\n# Source: chart/templates/a.yaml\n" + HEAD + "  a: b\n",
}


def _snapshot(result) -> list:
    """Everything loading decides, in a form that compares NaN and key order too."""
    out: list = [
        result.files,
        sorted(result.sources.items()),
        [(rule, repr(p)) for rule, p in result.problems],
    ]
    for obj in result.objects:
        pointers = ["/" + key for key in list(obj.obj)[:8]]
        out.append(
            (
                repr(obj.obj),
                obj.path,
                obj.index,
                obj.line,
                obj.template,
                obj.end_line,
                [obj.locate(p) for p in pointers],
                [obj.value_locations(p) for p in pointers],
            )
        )
    return out


def _both_ways(text: str, monkeypatch) -> tuple:
    monkeypatch.setattr(speedups, "FAST_PATHS", True)
    fast = _snapshot(stream.load_text(text, "in.yaml"))
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    general = _snapshot(stream.load_text(text, "in.yaml"))
    return fast, general


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases_load_the_same_both_ways(name, monkeypatch):
    fast, general = _both_ways(EDGE_CASES[name], monkeypatch)
    assert fast == general


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(TESTS)))
def test_fixtures_load_the_same_both_ways(path, monkeypatch):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 text")
    fast, general = _both_ways(text, monkeypatch)
    assert fast == general


@pytest.mark.parametrize(
    "name",
    [
        "scalar 0: '2001-12-14t21:59:43.10-05:00'",
        "keys that are not strings",
        "crlf",
        "nel",
        "empty documents",
    ],
)
def test_plain_streams_take_the_event_builder(name):
    assert load_plain_stream(EDGE_CASES[name], MAX_DEPTH) is not None


@pytest.mark.parametrize(
    "name",
    [
        "anchors and aliases",
        "merge key",
        "explicit tags",
        "duplicate keys",
        "complex key",
        "directive",
        "deep nesting",
    ],
)
def test_unusual_streams_take_the_general_path(name):
    assert load_plain_stream(EDGE_CASES[name], MAX_DEPTH) is None


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_collector_as_it_found_it(enabled, tmp_path):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        stream.load_text(EDGE_CASES["flow collections"], "in.yaml")
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            stream.load_paths([tmp_path / "missing.yaml"])
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_loading_freezes_nothing():
    """A frozen object is never collected: a run of many targets would keep every earlier
    target's objects (and their garbage) for good."""
    gc.unfreeze()
    before = gc.get_freeze_count()
    stream.load_text(EDGE_CASES["flow collections"], "in.yaml")
    assert gc.get_freeze_count() == before


def test_loading_leaves_no_cycles_behind():
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        stream.load_text(EDGE_CASES["flow collections"], "in.yaml")
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


def test_loaded_objects_leave_the_young_generations(tmp_path):
    """Loaded with the collector paused, the objects would be walked by the next young
    collections on their way to the oldest generation: they are put there at once, unfrozen."""
    (tmp_path / "a.yaml").write_text(EDGE_CASES["flow collections"], encoding="utf-8")
    gc.unfreeze()
    loaded = stream.load_paths([tmp_path / "a.yaml"])
    young = {id(obj) for generation in (0, 1) for obj in gc.get_objects(generation)}
    data = [obj.obj for obj in loaded.objects]
    assert data and not any(id(obj) in young for obj in data)
    assert all(id(obj) in {id(old) for old in gc.get_objects(2)} for obj in data)
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_others_stay_frozen(tmp_path):
    (tmp_path / "a.yaml").write_text(EDGE_CASES["flow collections"], encoding="utf-8")
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        stream.load_paths([tmp_path / "a.yaml"])
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_a_targets_loaded_objects_stay_out_of_collections_until_it_ends(tmp_path, monkeypatch):
    """While a target's checks and reports run, what was loaded is frozen (a full collection
    would walk it all, for nothing); when the target ends nothing stays frozen."""
    from starter_lint import pipeline
    from starter_lint.options import Options
    from starter_lint.targets import Target

    (tmp_path / "a.yaml").write_text(EDGE_CASES["flow collections"], encoding="utf-8")
    frozen_while_checking = []
    checks = pipeline.run_checks

    def spy(ctx, options, catalog):
        frozen_while_checking.append(gc.get_freeze_count())
        return checks(ctx, options, catalog)

    monkeypatch.setattr(pipeline, "run_checks", spy)
    options = Options(cwd=str(tmp_path))
    target = Target(name="a", files=[], manifests=[str(tmp_path / "a.yaml")])
    gc.unfreeze()
    pipeline.run_target(target, options, pipeline.run_catalog(options))
    assert frozen_while_checking and frozen_while_checking[0] > 0
    assert gc.get_freeze_count() == 0
    monkeypatch.setattr(speedups, "FAST_PATHS", False)  # the reference path freezes nothing
    frozen_while_checking.clear()
    pipeline.run_target(target, options, pipeline.run_catalog(options))
    assert frozen_while_checking == [0]


def test_what_a_frozen_block_makes_and_keeps_ends_in_the_oldest_generation():
    """Inside the block young collections are rare (what the checks keep is alive until the
    report); after it the thresholds are as before, and what it kept is in the oldest
    generation, not young: the next collections do not walk it again."""
    gc.unfreeze()
    thresholds = gc.get_threshold()
    with speedups.live_objects_frozen():
        assert gc.get_threshold()[0] == speedups.YOUNG_COLLECTION_THRESHOLD
        kept = [[i] for i in range(1000)]
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
    young = {id(obj) for generation in (0, 1) for obj in gc.get_objects(generation)}
    assert not any(id(item) in young for item in kept)
    assert all(gc.is_tracked(item) for item in kept)  # still collected, at a full collection


@pytest.mark.parametrize("count", [0, 1, 2, 3, 63, 64, 65, 130])
def test_after_lines_skips_the_breaks_line_break_counts(count):
    from starter_lint.textio import LINE_BREAK, after_lines, wide_breaks

    for text in ("a\n\nb\r\nc\x85d\n", "x\r\n" * 70, "\r\r\n\n\u2028\u2029" * 30, "a\rb\r\n\r\nc" * 40, ""):
        for offset in sorted({0, *(m.end() for m in LINE_BREAK.finditer(text))})[:5]:
            breaks = [m.end() for m in LINE_BREAK.finditer(text, offset)]
            expected = offset if count == 0 else breaks[count - 1] if count <= len(breaks) else None
            assert after_lines(text, offset, count) == expected, (text, offset, count)
            if not wide_breaks(text):  # the patterns for a text without U+2028/U+2029 agree
                assert after_lines(text, offset, count, wide=False) == expected, (text, offset, count)


@pytest.mark.parametrize(
    "body",
    [
        "a: 1\n",
        "a: 1",
        "a: 1\n\n\n",
        "a: 1\n# trailing comment\n\n",
        "a: 1\r\n\r\n",
        "a: 1\x85\x85",
        "a: |\n  text\n\n",
        "a: [1,\n  2]\n   \n",
        "a:\n- 1\n- 2\n\u2028",
        "{a: 1}\r",
    ],
)
def test_a_documents_last_line_from_the_parsers_count_is_the_counted_one(tmp_path, body, monkeypatch):
    # loading gives last_line the span's break count; it must answer what counting them gives
    from starter_lint.manifests.documents import Document

    counted = Document.last_line
    answers = []

    def both(self, breaks=None):
        if breaks is not None:
            answers.append((counted(self, breaks), counted(self)))
        return counted(self)

    monkeypatch.setattr(Document, "last_line", both)
    header = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n"
    text = (
        "".join(f"---\n# Source: c/t{i}.yaml\n" + header + f"  x{i}: 1\n" for i in range(3)) + "---\n" + body
    )
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8", newline="")
    stream.load_paths([str(tmp_path / "m.yaml")])
    assert len(answers) == 4 and all(given == expected for given, expected in answers), answers
