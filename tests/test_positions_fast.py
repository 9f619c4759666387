"""The event-walk locator (event_positions.py) answers exactly as the compose path does.

For every manifest document of the test data and the rule examples, every JSON pointer that
exists in it and some that do not (missing keys, out-of-range or malformed indices, paths through
scalars), and for both modes (`own=False`: where a finding is shown; `own=True`: every scalar
written there), the fast and the general path give the same Locations; documents with anchors,
aliases, tags, merge keys or complex keys take the fallback and still answer the same.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starter_lint import pointer as pointers
from starter_lint import speedups
from starter_lint.manifests import event_positions, positions
from starter_lint.manifests.documents import Document, split_documents
from starter_lint.manifests.event_positions import FALLBACK, find_node, find_nodes, find_scalars
from starter_lint.manifests.yaml_loader import SafeLoaderBase

from .support import REPO, all_examples, run_example

MAX_POINTERS = 150  # per document, and fewer in a large one (a walk reads the whole document
MAX_CHARACTERS_READ = 10_000_000  # at worst): the large CRDs are sampled, not walked node by node


def _composed(text: str, loader=SafeLoaderBase) -> positions._Composed | None:
    try:
        return positions._Composed(yaml.compose(text, Loader=loader))
    except yaml.YAMLError:
        return None


def _pointers(root, size: int = 0) -> list[list[str]]:
    """The tokens of every node under `root` (keys written twice give one pointer each time),
    and of places that are not there; evenly sampled in a document of `size` characters."""
    found: list[list[str]] = [[], ["missing"], ["0"]]
    stack = [(root, [])]
    while stack:
        node, tokens = stack.pop()
        if isinstance(node, yaml.MappingNode):
            found += [tokens + ["no-such-key"], tokens + [""], tokens + ["0"]]
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    found.append(tokens + [key.value])
                    stack.append((value, tokens + [key.value]))
        elif isinstance(node, yaml.SequenceNode):
            found += [tokens + [str(len(node.value))], tokens + ["-"], tokens + ["01"], tokens + ["x"]]
            for position, item in enumerate(node.value):
                found.append(tokens + [str(position)])
                stack.append((item, tokens + [str(position)]))
        else:
            found += [tokens + ["through"], tokens + ["0", "deeper"]]
    limit = max(12, min(MAX_POINTERS, MAX_CHARACTERS_READ // max(size, 1)))
    if len(found) > limit:
        step = len(found) / limit
        found = [found[int(i * step)] for i in range(limit)]
    return found


def _span(location) -> tuple:
    return (location.line, location.col, location.end_line, location.end_col)


def assert_same_answers(text: str, loader=SafeLoaderBase) -> int:
    """Compare the paths at every pointer of `text` (one document); the number of fallbacks."""
    composed = _composed(text, loader)
    if composed is None:  # never located: only documents that load have a locator
        return 0
    if composed.root is None:
        assert (find_node(text, ["a"]), find_scalars(text, ["a"])) == (None, [])
        return 0
    fallbacks = 0
    every = _pointers(composed.root, len(text))
    # one walk for many pointers answers each as its own walk does (all of them, then a third:
    # the walk stops once each has its answer); it may fall back where they do not (it reads on)
    for wanted in (every, every[::3], every[::-2]):
        together = find_nodes(text, wanted)
        if together != FALLBACK:
            spans = [_span(positions._location("f", 1, found)) for found in together]
            general_spans = [
                _span(positions._location("f", 1, positions._node_at(composed, t))) for t in wanted
            ]
            assert spans == general_spans, (text, wanted)
    for tokens in every:
        general = _span(positions._location("f", 1, positions._node_at(composed, tokens)))
        fast = find_node(text, tokens)
        if fast == FALLBACK:
            fallbacks += 1
        else:
            assert fast is not None
            assert _span(positions._location("f", 1, fast)) == general, (text, tokens)
        general_own = [_span(positions._location("f", 1, f)) for f in positions._scalars_at(composed, tokens)]
        fast_own = find_scalars(text, tokens)
        if fast_own == FALLBACK:
            fallbacks += 1
        else:
            assert [_span(positions._location("f", 1, f)) for f in fast_own] == general_own, (text, tokens)
    return fallbacks


def _data_documents() -> list[tuple[str, str]]:
    """(name, document text) of every YAML file under tests/ and every rule example's manifests."""
    found = []
    for path in sorted((REPO / "tests").rglob("*.y*ml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [(f"{path.name}#{d.index}", d.text) for d in split_documents(text)]
    for path in sorted((REPO / "rules").glob("*.yaml")):
        stack = [yaml.safe_load(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "manifests" and isinstance(value, str):
                        found += [(f"{path.name}#{d.index}", d.text) for d in split_documents(value)]
                    else:
                        stack.append(value)
            elif isinstance(node, list):
                stack.extend(node)
    return found


def test_fixture_and_example_documents():
    documents = _data_documents()
    assert len(documents) > 100
    fast = 0
    for _name, text in documents:
        if assert_same_answers(text) == 0 and _composed(text) is not None:
            fast += 1
    assert fast > len(documents) // 2  # the walk answers most documents itself


EDGE_CASES = {
    "flow collections": "a: {b: [1, 2, {c: d}], e: {}}\nf: []\ng: [ [x], {y: z} ]\n",
    "flow root": "{a: 1, b: [2, 3]}\n",
    "flow sequence root": "[a, {b: c}, [d]]\n",
    "multi-line plain": "a: this is\n  a long\n  plain scalar\nb: 'single\n  quoted'\nc: \"double\\\n  quoted\"\n",
    "block scalars": "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n\nc: |+\n  kept\n\nd: x\n",
    "block scalar in sequence": "items:\n- |\n  one\n- >\n  two\n- three\n",
    "quoted keys": "'a/b': 1\n\"c~d\": 2\n'': empty key\n\"\": again\n'x y': 3\n",
    "duplicate keys": "a: 1\nb: {c: 2}\na: 3\nb:\n  c: 4\n  c: 5\n  d: [6]\n",
    "duplicate nested": "spec:\n  x: 1\nspec:\n  x: 2\n  x: [3]\n",
    "empty values": "a:\nb: \nc: {}\nd: []\ne:\n  f:\n",
    "nulls": "a: ~\nb: null\n~: tilde key\nnull: null key\nc: [~, null, ]\n",
    "nested sequences of mappings": (
        "containers:\n- name: a\n  env:\n  - name: X\n    value: '1'\n  - name: Y\n    valueFrom:\n"
        "      secretKeyRef: {name: s, key: k}\n- name: b\n  ports:\n  - containerPort: 80\n"
        "    extra:\n    - - nested\n      - seq\n"
    ),
    "sequence of sequences": "- - - a\n    - b\n  - c\n- []\n- [[d]]\n",
    "crlf": "a: 1\r\nb:\r\n  c: |\r\n    text\r\n  d: [1,\r\n    2]\r\n",
    "nel": "a: 1\x85b:\x85  c: two\x85  d: x\x85",
    "line and paragraph separators": "a: 1\u2028b: 2\u2029c: 3\n",
    "comments": "# head\na: 1 # trailing\n# between\nb:\n  # inside\n  c: 2\n",
    "after a marker with leading comments": "# Source: chart/templates/x.yaml\n# more\n\napiVersion: v1\nkind: X\n",
    "marker with content": "--- {a: 1}\n",
    "explicit marker inside text": "---\na: 1\n",
    "document end": "a: 1\n...\n",
    "scalar root": "just text\n",
    "empty": "",
    "only comments": "# nothing\n",
    "indented sequence": "a:\n  - 1\n  -\n    b: 2\n  - - 3\n",
    "unicode": "ä: ü\n\"\\u00e9\": é\nemoji: \U0001f600\nb: [ö]\n",
    "long keys": "? long explicit scalar key\n: value\nplain: 1\n",
    "deep": "a:\n" + "".join("  " * i + f"  k{i}:\n" for i in range(40)) + "  " * 41 + "leaf: v\n",
    "list kind": (
        "apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  data: {a: b}\n- kind: Secret\n"
        "  stringData:\n    k: v\n    k: w\n"
    ),
    # the fallbacks: the compose path answers
    "anchors and aliases": "a: &x {b: 1}\nc: *x\nd: [*x, &y 2]\ne: *y\n",
    "alias first key": "base: &b\n  x: 1\nuse:\n  <<: *b\n  y: 2\n",
    "merge key": "a:\n  <<: {b: 1}\n  c: 2\n",
    "merge list": "x: &x {a: 1}\ny: &y {b: 2}\nz:\n  <<: [*x, *y]\n  c: 3\n",
    "tags": "a: !!str 1\nb: !custom {c: d}\nc: !!seq [1]\nd: ! e\n",
    "complex keys": "? [a, b]\n: 1\n? {c: d}\n: 2\ne: 3\n",
    "anchored root": "&r\na: 1\n",
}
FALLBACK_CASES = {
    "anchors and aliases",
    "alias first key",
    "merge key",
    "merge list",
    "tags",
    "complex keys",
    "anchored root",
    "nulls",  # `~:` and `null:` keys are "null" in the object: the compose path converts them
}


def test_edge_cases():
    assert [name for name, text in EDGE_CASES.items() if _composed(text) is None] == []
    for name, text in EDGE_CASES.items():
        fallbacks = assert_same_answers(text)
        assert bool(fallbacks) == (name in FALLBACK_CASES), name


def test_edge_cases_with_the_pure_python_parser(monkeypatch):
    # without libyaml both paths use PyYAML's own parser (its marks count the same way)
    monkeypatch.setattr(event_positions, "SafeLoaderBase", yaml.SafeLoader)
    for name, text in EDGE_CASES.items():
        fallbacks = assert_same_answers(text, yaml.SafeLoader)
        assert bool(fallbacks) == (name in FALLBACK_CASES), name


def test_fallback_only_when_the_feature_comes_before_the_answer():
    text = "a: 1\nb: &x 2\nc: *x\n"
    assert find_node(text, ["a"]) != FALLBACK  # the walk stops at `a`, before the anchor
    assert find_node(text, ["c"]) == FALLBACK
    assert find_scalars(text, ["a"]) == FALLBACK  # a key written twice later could follow


_keys = st.sampled_from(["a", "b", "name", "x/y", "t~0", "", "0", "1", "null", "~", "yes", "é", "a b", "-"])
_scalars = st.one_of(
    st.sampled_from(
        ["", "v", "1", "true", "~", "null", "multi\nline", " lead", "trail ", "#", "a: b", "- x"]
    ),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=_data,
    flow=st.sampled_from([None, True, False]),
    style=st.sampled_from([None, "'", '"', "|"]),
    width=st.sampled_from([8, 80]),
    line_break=st.sampled_from([None, "\r\n", "\x85"]),
)
def test_generated_documents(data, flow, style, width, line_break):
    text = yaml.safe_dump(
        data,
        default_flow_style=flow,
        default_style=style,
        width=width,
        line_break=line_break,
        allow_unicode=True,
    )
    fallbacks = assert_same_answers(text)
    if "!!" not in text:  # a styled dump tags its numbers, booleans and nulls: those fall back
        assert fallbacks == 0


def _locations(document: Document, prefix: tuple[str, ...], pointer: str) -> tuple:
    locate = positions.DocumentLocator(document, "f.yaml", prefix)
    return locate(pointer), locate(pointer, own=True)


def test_the_locator_reads_the_switch_when_it_runs(monkeypatch):
    stream = (
        "---\n"
        + EDGE_CASES["nested sequences of mappings"]
        + "---\n# Source: c/t.yaml\n"
        + EDGE_CASES["merge key"]
    )
    documents = list(split_documents(stream))
    assert [d.first_line for d in documents] == [2, 17]
    for document in documents:
        composed = _composed(document.text)
        assert composed is not None
        for tokens in _pointers(composed.root):
            pointer = pointers.build(*tokens)
            fast = _locations(document, (), pointer)
            monkeypatch.setattr(speedups, "FAST_PATHS", False)
            assert _locations(document, (), pointer) == fast
            monkeypatch.setattr(speedups, "FAST_PATHS", True)
            assert fast[0] is not None and fast[0].line >= document.first_line
        every = [pointers.build(*tokens) for tokens in _pointers(composed.root)]
        one_by_one = [positions.DocumentLocator(document, "f.yaml")(pointer) for pointer in every]
        for fast_paths in (True, False):
            monkeypatch.setattr(speedups, "FAST_PATHS", fast_paths)
            assert positions.DocumentLocator(document, "f.yaml").many(every) == one_by_one


def test_the_compose_cache_holds_few_documents_and_hits_for_a_list(monkeypatch):
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    document = next(split_documents(EDGE_CASES["list kind"]))
    positions._compose.cache_clear()
    for _rule in range(2):  # rule by rule, item by item
        for position in range(2):
            positions.DocumentLocator(document, "f.yaml", ("items", str(position)))("/kind")
    info = positions._compose.cache_info()
    assert (info.misses, info.hits) == (1, 3)
    assert info.maxsize is not None and info.maxsize <= 8


MANIFEST_EXAMPLES = [e for e in all_examples() if e[2].manifests is not None]


@pytest.mark.parametrize(
    "rule,example", [e[1:3] for e in MANIFEST_EXAMPLES], ids=[e[0] for e in MANIFEST_EXAMPLES]
)
def test_rule_examples_report_the_same_locations(rule, example, tmp_path, monkeypatch):
    def findings() -> list:
        report = run_example(example, tmp_path, select=[rule.id])
        return [(f.rule, f.location, f.message, f.related) for f in report.active]

    fast = findings()
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    assert findings() == fast


def test_a_document_with_many_findings_is_composed_once(monkeypatch):
    # a walk re-reads the document: after a few, the document is composed and its index used
    text = "data:\n" + "".join(f"  k{i}: {i}\n" for i in range(50))
    document = Document(text, 1, 0)
    locate = positions.DocumentLocator(document, "f.yaml", ())
    positions._compose.cache_clear()
    walked = [locate(f"/data/k{i}") for i in range(positions.WALKS_PER_DOCUMENT)]
    assert positions._compose.cache_info().misses == 0
    composed = [locate(f"/data/k{i}") for i in range(positions.WALKS_PER_DOCUMENT, 50)]
    assert positions._compose.cache_info().misses == 1
    assert [(loc.line, loc.col) for loc in walked + composed] == [(2 + i, 6 + len(str(i))) for i in range(50)]


def test_locate_many_places_as_locate_does(monkeypatch):
    from starter_lint.manifests.model import ManifestObject

    document = next(split_documents("---\n" + EDGE_CASES["nested sequences of mappings"]))
    composed = _composed(document.text)
    assert composed is not None
    every = ["", *(pointers.build(*tokens) for tokens in _pointers(composed.root))]
    for fast_paths in (True, False):
        monkeypatch.setattr(speedups, "FAST_PATHS", fast_paths)
        obj = ManifestObject({}, "f.yaml", 0, 2, _locator=positions.DocumentLocator(document, "f.yaml"))
        alone = [
            ManifestObject({}, "f.yaml", 0, 2, _locator=positions.DocumentLocator(document, "f.yaml")).locate(
                p
            )
            for p in every
        ]
        assert obj.locate_many(every) == alone
        assert alone[0].line == 2  # the whole object: where its document starts
    stand_in = ManifestObject({}, "f.yaml", 0, 5, _locator=lambda pointer, own=False: None)  # type: ignore[arg-type]
    assert [loc.line for loc in stand_in.locate_many(["", "/a"])] == [5, 5]
