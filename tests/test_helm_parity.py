"""Differential test: starter-lint reads values exactly as Helm's own SDK (v4.2.3) does.

Helm's side is `helm_python` (Helm's Go SDK in a wheel): `values_from_yaml` reads a `-f` file,
`Chart.load(...).render(values)` on a chart whose only template is `{{ toJson .Values }}` shows
what a chart's values.yaml becomes and how user values coalesce over it, `parse_set_string`
parses `--set`. Our side is `load_values`, `layer_values` and `apply_set`.

The corpus is generated here, deterministically: structured documents built from every scalar
spelling, key spelling, tag, style, anchor/alias and merge form below (about 2,500), the same
documents with random syntax damage (1,500), and a hand-written list of tricky cases.
Numbers are compared as Helm holds them, float64 (1 == 1.0; big integers lose precision).
Where keys of different types collide (`true:` and `"true":`), Helm's pick is random: there we
require only that starter-lint reports the collision and picks one of the candidates.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from starter_lint.values.layers import Layer, layer_values, merge_maps
from starter_lint.values.setargs import SetSyntaxError, apply_set
from starter_lint.yamlio import YamlLoadError, events, key_to_string, load_values, resolve_plain

from .support import NEEDS_HELM_SDK

try:
    import helm_python
except ImportError as exc:  # the wheel has no build for this platform
    pytest.skip(f"{NEEDS_HELM_SDK} ({exc})", allow_module_level=True)

HelmError = helm_python.HelmError

# --------------------------------------------------------------------------------------------
# Comparing results


def normalise(value):
    """A value as Helm's float64 world sees it: every number a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    raise AssertionError(f"not a JSON value: {value!r}")


def mask(data, paths):
    """Drop the values at `paths` (keys whose winner Helm picks at random)."""
    for path in paths:
        node = data
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)


def helm_read(text):
    try:
        return "ok", normalise(helm_python.values_from_yaml(text))
    except HelmError as exc:
        return "error", str(exc)


def our_read(text):
    try:
        loaded = load_values(text)
    except YamlLoadError as exc:
        return ("error", exc.message), []
    collisions = [note.path for note in loaded.notes if note.kind == "key-collision"]
    return ("ok", normalise(loaded.data)), collisions


def differences(texts):
    """The documents where starter-lint and Helm disagree, as readable lines."""
    bad = []
    for text in texts:
        helm = helm_read(text)
        ours, collisions = our_read(text)
        if collisions and helm[0] == ours[0] == "ok":
            mask(helm[1], collisions)
            mask(ours[1], collisions)
        if helm[0] != ours[0] or (helm[0] == "ok" and helm[1] != ours[1]):
            bad.append(f"{text!r}\n    helm: {str(helm)[:300]}\n    ours: {str(ours)[:300]}")
    return bad


# --------------------------------------------------------------------------------------------
# The generated corpus

SCALARS = [
    # booleans and nulls, YAML 1.1 style
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "tRue",
    "false",
    "False",
    "FALSE",
    "fAlse",
    "~",
    "null",
    "Null",
    "NULL",
    "nUll",
    "",
    # integers in every base and spelling
    "0",
    "-0",
    "+0",
    "017",
    "0o17",
    "0O17",
    "0x1F",
    "0X1f",
    "0b101",
    "-0b101",
    "+0b101",
    "1_000",
    "1__0",
    "_1",
    "1_",
    "+1",
    "-1",
    "08",
    "09",
    "0777",
    "0o777",
    "0o",
    "0x_1F",
    "0b_101",
    "0_17",
    "0x7FFFFFFFFFFFFFFF",
    "0xFFFFFFFFFFFFFFFF",
    "0x10000000000000000",
    "-0x8000000000000000",
    "9007199254740993",
    "12345678901234567890",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999",
    "123456789012345678901",
    # floats
    "09.5",
    "1e3",
    "1E3",
    "1e+3",
    "1e-3",
    "1.0e3",
    "1e400",
    "-1e400",
    ".5",
    "-.5",
    "+.5",
    "1.",
    "0.",
    "1.10",
    "1.0",
    "3.14159265358979",
    "1e21",
    "1e20",
    "0.1",
    "0.30000000000000004",
    "-0.0",
    "1.7976931348623157e308",
    "5e-324",
    "2.5e-400",
    "1e-400",
    "1.5e+300",
    "1_0.5",
    "1e1_0",
    # strings that look like something else
    "1:20",
    "10:20:30",
    "190:20:30",
    "2026-01-01",
    "2026-01-01T10:00:00Z",
    "2026-1-2",
    "0x",
    "0xG",
    "0b",
    "0b2",
    "0o8",
    "1e",
    "1.2.3",
    "._5",
    ".",
    "-",
    "+",
    "<<",
    "=",
    "abc",
    "hello world",
    "a b",
    "x:y",
    "http://x",
    "#notcomment",
    "é",
    "ü",
    "日本",
    "1,000",
    "+.inf_",
    "Infinity",
    "NaN",
    "nan",
    "inf",
]
FAILING_SCALARS = [".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN"]
TAGS = [
    "!!str",
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!binary",
    "!!timestamp",
    "!foo",
    "!",
    "!!python/object/apply:os.system",
    "!<tag:yaml.org,2002:str>",
    "!!map",
    "!!merge",
]
KEYS = [
    "a",
    "b",
    "c",
    "name",
    "image",
    "y",
    "n",
    "on",
    "off",
    "yes",
    "no",
    "true",
    "false",
    "True",
    "1",
    "2",
    "01",
    "0x1",
    "1.5",
    "3.14159265358979",
    "1e6",
    "1e400",
    "1e40",
    "-1",
    "+1",
    "1_0",
    "é",
    "a b",
    "k:v",
    "0.1",
    "18446744073709551615",
    "9223372036854775808",
    "12345678901234567890",
    "2026-01-01",
    "1:20",
]
_NEEDS_QUOTES = ("#", "&", "*", "!", "|", ">", "'", '"', "%", "@", "`", "[", "{", "]", "}", ",", "? ", "- ")


def _quoted(text, r):
    if r.random() < 0.5:
        return "'" + text.replace("'", "''") + "'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scalar_text(r, text, allow_failing=True):
    if allow_failing and r.random() < 0.02:
        text = r.choice(FAILING_SCALARS)
    style = r.random()
    plain_ok = text and not text.startswith(_NEEDS_QUOTES) and ": " not in text
    if style < 0.6:
        return text if plain_ok or text == "" else _quoted(text, r)
    if style < 0.85:
        return _quoted(text, r)
    tag = r.choice(TAGS)
    if tag == "!!binary":
        text = r.choice(["aGVsbG8=", "/w==", "4oI=", "YQ", "", text])
    return f"{tag} {text if plain_ok else _quoted(text, r)}"


class DocumentGenerator:
    """Random but valid-looking values documents (deterministic for a seed)."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.anchors = []
        self.key_types = {}  # Helm's key string -> YAML type used for it in this document

    def key(self):
        r = self.r
        for _ in range(20):
            spelling = r.choice(KEYS + [f"k{r.randrange(6)}"] * 8)
            quoted = r.random() < 0.2
            raw = spelling if quoted else resolve_plain(spelling)
            try:
                string = raw if isinstance(raw, str) else key_to_string(raw)
            except YamlLoadError:
                string = spelling
            # keys of different types that become one string make Helm pick at random: the
            # hand-written cases test those; the corpus keeps Helm deterministic
            if self.key_types.setdefault(string, type(raw)) is type(raw):
                return _quoted(spelling, r) if quoted else spelling
        return f"k{r.randrange(6)}"

    def value(self, depth, indent):
        r = self.r
        x = r.random()
        if depth > 3 or x < 0.5:
            if self.anchors and r.random() < 0.05:
                return " *" + r.choice(self.anchors), False
            anchor = ""
            if r.random() < 0.05:
                name = f"a{len(self.anchors)}"
                anchor = f"&{name} "
                self.anchors.append(name)
            return " " + anchor + scalar_text(r, r.choice(SCALARS)), False
        if x < 0.58:
            return " " + self.flow(depth), False
        if x < 0.64:
            header = r.choice("|>") + r.choice(["", "-", "+", "2"])
            lines = "".join(
                " " * (indent + 2) + r.choice(["text", "  more", "x: y", "# not comment", ""]) + "\n"
                for _ in range(r.randrange(1, 4))
            )
            return " " + header + "\n" + lines, True
        anchor_name = f"m{len(self.anchors)}" if r.random() < 0.15 else None
        if x < 0.85:
            body = self.mapping(depth + 1, indent + 2)
        else:
            body = self.sequence(depth + 1, indent + r.choice([0, 2]))
        if anchor_name:
            self.anchors.append(anchor_name)
            return f" &{anchor_name}\n" + body, True
        return "\n" + body, True

    def flow(self, depth):
        r = self.r
        simple = [
            s for s in SCALARS if s and not s.startswith(("-", "?", ":")) and not any(c in s for c in ",:#")
        ]
        if depth > 3 or r.random() < 0.5:
            return (
                "["
                + ", ".join(scalar_text(r, r.choice(simple), False) for _ in range(r.randrange(0, 4)))
                + "]"
            )
        items = []
        for _ in range(r.randrange(0, 4)):
            value = self.flow(depth + 1) if r.random() < 0.3 else scalar_text(r, r.choice(simple), False)
            items.append(f"{self.key()}: {value}")
        return "{" + ", ".join(items) + "}"

    def mapping(self, depth, indent):
        r = self.r
        out = []
        pad = " " * indent
        for _ in range(r.randrange(1, 5)):
            if self.anchors and r.random() < 0.06:
                if r.random() < 0.5:
                    out.append(f"{pad}<<: *{r.choice(self.anchors)}\n")
                else:
                    out.append(f"{pad}<<: [*{r.choice(self.anchors)}, *{r.choice(self.anchors)}]\n")
                continue
            if r.random() < 0.05:
                out.append(pad + "# a comment\n")
            value, block = self.value(depth, indent)
            out.append(
                pad + self.key() + ":" + value + ("" if block else (" # c\n" if r.random() < 0.1 else "\n"))
            )
        return "".join(out)

    def sequence(self, depth, indent):
        r = self.r
        out = []
        pad = " " * indent
        for _ in range(r.randrange(1, 4)):
            if r.random() < 0.3 and depth < 4:
                body = self.mapping(depth + 1, indent + 2)
                out.append(pad + "- " + body[indent + 2 :])
                continue
            value, block = self.value(depth + 1, indent + 2)
            if block and value.lstrip(" &m0123456789")[:1] not in ("|", ">"):
                value, block = " " + self.flow(depth), False
            out.append(pad + "-" + value + ("" if block else "\n"))
        return "".join(out)

    def document(self):
        r = self.r
        text = self.mapping(0, 0)
        x = r.random()
        if x < 0.05:
            text = "---\n" + text
        elif x < 0.08:
            text = text + "---\n" + self.mapping(0, 0)
        elif x < 0.09:
            text = "%YAML 1.1\n---\n" + text
        elif x < 0.10:
            text = text + "...\n"
        if r.random() < 0.05:
            text = text.replace("\n", "\r\n")
        if r.random() < 0.02:
            text = "\ufeff" + text
        return text


DAMAGE = [
    ":",
    "-",
    "[",
    "]",
    "{",
    "}",
    "\t",
    "#",
    "&",
    "*",
    "!",
    "|",
    ">",
    "'",
    '"',
    "\n",
    " ",
    "  ",
    ",",
    "?",
    "%",
    "@",
    "`",
    "---\n",
    "...\n",
    "<<: ",
    "\\",
    "\x07",
    "\u2028",
    "\ufeff",
    "\x85",
]


def damaged(r, text):
    for _ in range(r.randrange(1, 3)):
        i = r.randrange(len(text) + 1)
        op = r.random()
        if op < 0.6:
            text = text[:i] + r.choice(DAMAGE) + text[i:]
        elif op < 0.85:
            text = text[:i] + text[i + 1 :]
        else:
            j = r.randrange(len(text) + 1)
            text = text[:i] + text[j : j + r.randrange(1, 10)] + text[i:]
    return text


def corpus(count, seed):
    return [DocumentGenerator(seed * 1_000_003 + i).document() for i in range(count)]


STRUCTURED = corpus(2500, 1)
_damage = random.Random(7)
DAMAGED = [damaged(_damage, text) for text in corpus(1500, 7)]

# --------------------------------------------------------------------------------------------
# Hand-written cases (each compared with Helm as it stands, not with a remembered answer)

TRICKY = [
    # every scalar spelling the spec names, as values and as keys
    "a: y\nb: Y\nc: yes\nd: on\ne: off\nf: n\ng: N\nh: True\ni: tRue\nj: ~\nk: null\nl: Null\nm:\n",
    "a: 017\nb: 0o17\nc: 0x1F\nd: 0b101\ne: -0b101\nf: 1_000\ng: +1\nh: -0\ni: 08\nj: 09.5\n",
    "a: 1e3\nb: 1E3\nc: 1e400\nd: .5\ne: 1.\nf: 1:20\ng: 2026-01-01\nh: 12345678901234567890\n",
    "a: 9007199254740993\nb: 18446744073709551615\nc: 99999999999999999999999\nd: 1e21\n",
    "a: .inf\n",
    "a: -.Inf\n",
    "a: .nan\n",
    "a: [1, .NaN]\n",
    "a: !!float .inf\n",
    "3.14159265358979: a\n1e6: b\n1e40: c\n18446744073709551616: d\n",
    "y: 1\nn: 2\non: 3\noff: 4\nyes: 5\nNO: 6\n",
    "1: a\n-1: b\n0x10: c\n017: d\n1_0: e\n",
    "~: x\n",
    "null: x\n",
    "9223372036854775808: x\n",
    "18446744073709551615: [a]\n",
    ".inf: a\n-.inf: b\n",
    "2026-01-01: a\n1:20: b\n",
    # quoted vs plain, block scalars
    "a: 'yes'\nb: \"017\"\nc: '1e3'\nd: \"~\"\n",
    "a: |\n  line\n  more\nb: >\n  folded\n  text\n\nc: |-\n  x\nd: >+\n  x\n\n\ne: |2\n    x\n",
    "a: |\n  \n    more\n",
    "a: |\n      \n  text\n",
    "a: |#c\n  x\n",
    "a: >\t\n  x\n",
    "--- |\n  text\n",
    # explicit tags, unknown tags
    "a: !!str 1\nb: !!int \"12\"\nc: !!float 1\nd: !!bool \"yes\"\ne: !!null ''\nf: !!str\n",
    "a: !!int 1.5\n",
    "a: !!int\n",
    "a: !!null x\n",
    "a: !!bool maybe\n",
    "a: !!float 12345678901234567890\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!binary |\n  aGVs\n  bG8=\n",
    "a: !!binary 'not base64!'\n",
    "a: !!binary /w==\n",
    "!!binary aGk=: x\n",
    "a: !!timestamp 2026-01-01\nb: !!timestamp 2026-1-2 10:00:00\n",
    "a: !!timestamp 2026-02-30\n",
    "a: !!timestamp 12\n",
    "a: !!python/object/apply:os.system ['ls']\n",
    "a: !!python/object/apply:os.system\n  args: [ls]\n",
    "a: !foo bar\nb: !foo {x: 1}\nc: ! yes\n",
    "a: !<tag:yaml.org,2002:int> 0x10\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!foo 1\n",
    "a: !!floa!!float 1\n",
    "a: !&!x 1\n",
    "a: !!str {x: 1}\nb: !!int [1]\n",
    # anchors, aliases, merge keys
    "a: &x 1\nb: *x\n",
    "a: *nope\n",
    "a: &x [1, *x]\n",
    "a: &x {b: *x}\n",
    "b: &b {x: 1, y: 2}\nm: {x: 2, <<: *b}\n",
    "b: &b {x: 1, y: 2}\nm: {<<: *b, x: 2}\n",
    "b1: &b1 {x: 1}\nb2: &b2 {x: 2, z: 2}\nm:\n  <<: [*b1, *b2]\n  z: 3\n",
    "m:\n  <<: {a: 1}\n  <<: {b: 2}\n",
    "m:\n  <<: 1\n",
    "m:\n  <<: [1]\n",
    "m:\n  <<: ~\n",
    "m:\n  <<: []\n",
    "m:\n  '<<': 1\n",
    "m:\n  !!merge <<: {a: 1}\n",
    "m:\n  !!str <<: {a: 1}\n",
    "m: <<\n",
    "a: &a {x: &a [1]}\nb: *a\n",
    "a: &a1-b_c 1\nb: *a1-b_c\n",
    "a: &a\"x 1\n",
    # duplicates and nesting
    "a: 1\na: 2\n",
    "a: {b: 1}\na: {c: 2}\n",
    "a:\n  - b: 1\n    c: [1, {d: 2}]\n  - [x, [y]]\n",
    # documents
    "",
    "# only a comment\n",
    "---\n",
    "---\n---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n---\nb: 2\n",
    "a: 1\n--- [\n",
    "a: 1\n---\n: [\n",
    "- a\n- b\n",
    "just a string\n",
    "123\n",
    "~\n",
    "[]\n",
    "{}\n",
    "%YAML 1.1\n---\na: 1\n",
    "%YAML 1.2\n---\na: yes\n",
    "%FOO bar\n---\na: 1\n",
    # flow style, unicode, line endings, BOM, tabs
    "{a: 1, b: [x, y], c: {d: ~}}\n",
    "a: [1, 2\n",
    "a: {b: 1\n",
    "{a:1}\n",
    "[a, b]: c\n",
    "ü: ß\n日本: 語\n",
    "a: \"\\u00e9\\t\\x41\"\n",
    "a: 'it''s'\n",
    "a: 1\r\nb:\r\n  c: 2\r\n",
    "a:\r\n  - |\r\n    x\r\n    y\r\n",
    "\ufeffa: 1\n",
    "a: 1\n\ufeffb: 2\n",
    "a: 1\n\ufeff",
    "a:\tb\n",
    "a: \t'y'\n",
    "a:\n\t- b\n",
    "\ta: 1\n",
    "a: 'x\ty'\n",
    "a: {b\t c: 1}\n",
    "a: hello\u2028world\n",
    "a: x\x85b: y\n",
    "a: b: c\n",
    "a:\n  b\n  c: d\n",
    "? [1, 2]\n: x\n",
    "? {a: 1}\n: x\n",
    "? a\n: b\n",
    "a:\n  : 1\n",
    "- [a, b]\n",
    "a: \"unterminated\n",
]

COLLISIONS = [  # (document, path, the candidates Helm picks from)
    ("true: a\n\"true\": b\n", ("true",), {"a", "b"}),
    ("\"true\": b\ntrue: a\n", ("true",), {"a", "b"}),
    ("1: a\n\"1\": b\n", ("1",), {"a", "b"}),
    ("1: a\n1.0: b\n", ("1",), {"a", "b"}),
    ("x:\n  n: a\n  'false': b\n  no: c\n", ("x", "false"), {"b", "c"}),
]

# --------------------------------------------------------------------------------------------
# -f files


@pytest.fixture(params=["libyaml", "ruamel"])
def backend(request, monkeypatch):
    """Both event sources: libyaml (fast, with the ruamel path where it is lenient) and the
    pure-Python ruamel path with the go-yaml scanner (used when PyYAML lacks libyaml)."""
    monkeypatch.setattr(events, "EVENT_BACKEND", request.param)
    return request.param


def test_structured_corpus_reads_like_helm(backend):
    started = time.process_time()  # CPU: the machine's other load must not fail it
    bad = differences(STRUCTURED)
    elapsed = time.process_time() - started
    assert not bad, f"{len(bad)} of {len(STRUCTURED)} documents differ:\n" + "\n".join(bad[:10])
    assert elapsed < 30


def test_corpus_is_broad():
    """The generated corpus really holds what it claims (so the parity test means something)."""
    joined = "\n".join(STRUCTURED)
    for needle in (
        "yes",
        "0o17",
        "0x1F",
        "1_000",
        "1e400",
        "2026-01-01",
        "12345678901234567890",
        "!!binary",
        "!!timestamp",
        "!!python/object",
        "<<: *",
        "<<: [*",
        "*a",
        "|",
        ">",
        "\r\n",
        "\ufeff",
        "%YAML 1.1",
        "...",
        "---",
        "3.14159265358979:",
        "{",
        "[",
    ):
        assert needle in joined, needle
    readable = sum(helm_read(text)[0] == "ok" for text in STRUCTURED[:400])
    assert 100 < readable < 390  # both loadable documents and load errors are well represented


def test_damaged_corpus_reads_like_helm(backend):
    bad = differences(DAMAGED)
    assert not bad, f"{len(bad)} of {len(DAMAGED)} documents differ:\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("text", TRICKY, ids=[f"tricky{i}" for i in range(len(TRICKY))])
def test_tricky_document_reads_like_helm(text, backend):
    assert not differences([text])


@pytest.mark.parametrize("text,path,candidates", COLLISIONS)
def test_colliding_keys_are_reported_and_one_candidate_wins(text, path, candidates):
    assert helm_read(text)[0] == "ok"
    loaded = load_values(text)
    node = loaded.data
    for part in path:
        node = node[part]
    assert node in candidates
    assert any(note.kind == "key-collision" and note.path == path for note in loaded.notes)


def test_a_helm_load_error_is_a_yaml_load_error_with_a_position(backend):
    for text in (t for t in TRICKY if helm_read(t)[0] == "error"):
        with pytest.raises(YamlLoadError) as raised:
            load_values(text)
        assert raised.value.line >= 1 and raised.value.col >= 1 and raised.value.message


# --------------------------------------------------------------------------------------------
# A chart's values.yaml, and layering over it


@pytest.fixture(scope="module")
def chart_dir(tmp_path_factory):
    chart = tmp_path_factory.mktemp("chart")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: parity\nversion: 0.1.0\n")
    (chart / "templates").mkdir()
    (chart / "templates" / "values.yaml").write_text("{{ toJson .Values }}\n")
    return chart


def helm_chart_values(chart, text, user=None):
    (chart / "values.yaml").write_text(text, encoding="utf-8", newline="")
    try:
        with helm_python.Chart.load(str(chart)) as loaded:
            rendered = loaded.render(user)
    except HelmError as exc:
        return "error", str(exc)
    return "ok", normalise(json.loads(rendered["parity/templates/values.yaml"]))


def chart_samples():
    r = random.Random(11)
    readable = [t for t in STRUCTURED[:600] if "\ufeff" not in t and helm_read(t)[0] == "ok"]
    samples = STRUCTURED[:600:5]
    for _ in range(60):  # several documents, some with nulls, joined the ways Helm splits them
        parts = [r.choice(readable) for _ in range(r.randrange(2, 4))]
        separator = r.choice(["---\n", "--- # next\n", "---   \n", "---\r\n"])
        samples.append(separator.join(p if p.endswith("\n") else p + "\n" for p in parts))
    samples += [
        "a: 1\nb: null\nc: {d: null, e: 1}\n---\nf: 2\na: 3\n",
        "a: {b: 1}\n---\na: null\n",
        "a: {b: 1}\n---\na: {b: null}\n",
        "a: 1\n---\n- x\n",
        "a: 1\n---\nnull\n---\nb: 1\n",
        "a: 1\n--- |\n  text\n",
        "a: 1\n---x\n",
        "a: 1\n----\n",
        "a: 1\n---\n...\n",
        "a: &x 1\n---\nb: *x\n",
        "a: [null, {b: null}]\n",
        "a: 1\n---\n{}\n",
        "\ufeffa: 1\n",
    ]
    return samples


def test_chart_values_read_like_helm(chart_dir, backend):
    bad = []
    for text in chart_samples():
        helm = helm_chart_values(chart_dir, text)
        try:
            ours = "ok", normalise(load_values(text, chart_defaults=True).data)
        except YamlLoadError as exc:
            ours = "error", exc.message
        if helm[0] != ours[0] or (helm[0] == "ok" and helm[1] != ours[1]):
            bad.append(f"{text!r}\n    helm: {str(helm)[:300]}\n    ours: {str(ours)[:300]}")
    assert not bad, f"{len(bad)} chart values files differ:\n" + "\n".join(bad[:10])


def test_all_documents_of_a_file_read_like_helms_load_values(chart_dir, backend):
    """Helm 4's `-f` reads a file with LoadValues (all documents, nulls kept); so does
    `Chart.values` for the chart's values.yaml, which is how the SDK lets us call it."""
    bad = []
    for text in chart_samples():
        (chart_dir / "values.yaml").write_text(text, encoding="utf-8", newline="")
        try:
            with helm_python.Chart.load(str(chart_dir)) as loaded:
                helm = "ok", normalise(loaded.values)
        except HelmError as exc:
            helm = "error", str(exc)
        try:
            ours = "ok", normalise(load_values(text, merge_documents=True).data)
        except YamlLoadError as exc:
            ours = "error", exc.message
        if helm[0] != ours[0] or (helm[0] == "ok" and helm[1] != ours[1]):
            bad.append(f"{text!r}\n    helm: {str(helm)[:300]}\n    ours: {str(ours)[:300]}")
    assert not bad, f"{len(bad)} files differ:\n" + "\n".join(bad[:10])


def helm_merge_maps(a, b):
    """Helm's mergeMaps for several -f files (pkg/cli/values), which the SDK does not expose."""
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = helm_merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def test_layering_files_over_chart_values_like_helm(chart_dir):
    r = random.Random(5)
    readable = [t for t in STRUCTURED[:1500] if "\ufeff" not in t and helm_read(t)[0] == "ok"]
    nulls = ["a: null\n", "a: {b: null}\nk0: ~\n", "k1: {k2: null}\nname: null\n", "c: []\nb: {}\n"]
    bad = []
    compared = 0
    for _ in range(120):
        chart_text = r.choice(readable) + r.choice(["", "a: {b: 1, c: null}\nk0: {x: 1}\n"])
        files = [r.choice(readable + nulls) for _ in range(r.randrange(1, 4))]
        user = {}
        for text in files:
            user = helm_merge_maps(user, helm_python.values_from_yaml(text))
        helm = helm_chart_values(chart_dir, chart_text, user)
        try:
            base = load_values(chart_text, "values.yaml", chart_defaults=True)
        except YamlLoadError:  # a later document of the sample that Helm refuses too
            assert helm[0] == "error", chart_text
            continue
        layers = [Layer(f"f{i}.yaml", "file", load_values(text).data) for i, text in enumerate(files)]
        ours = "ok", normalise(layer_values(Layer("values.yaml", "base", base.data, base), layers).values)
        compared += 1
        if helm != ours:
            bad.append(
                f"chart {chart_text!r} files {files!r}\n    helm: {str(helm)[:300]}\n    ours: {str(ours)[:300]}"
            )
    assert not bad, f"{len(bad)} layerings differ:\n" + "\n".join(bad[:5])
    assert compared >= 80


def test_merge_maps_is_helms_merge_maps():
    r = random.Random(3)
    readable = [load_values(t).data for t in STRUCTURED[:400] if helm_read(t)[0] == "ok"]
    for _ in range(200):
        a, b = r.choice(readable), r.choice(readable)
        assert merge_maps(a, b) == helm_merge_maps(a, b)


# --------------------------------------------------------------------------------------------
# --set and --set-string

SET_TOKENS = [
    "a",
    "b",
    "c",
    ".",
    ".",
    "[0]",
    "[1]",
    "[2]",
    "=",
    "=",
    ",",
    "1",
    "true",
    "x",
    "{",
    "}",
    "{x,y}",
    "\\",
    "\\,",
    "\\.",
    "0",
    "01",
    "-5",
    "null",
    " ",
    "[",
    "]",
    "[-1]",
    "[x]",
    "=1,",
    "9223372036854775807",
    "9223372036854775808",
    "1.5",
    "TRUE",
    "é",
]
SET_CASES = [
    "a=1",
    "a.b=c",
    "a=true",
    "a=TRUE",
    "a=null",
    "a=0",
    "a=01",
    "a=-1",
    "a=+1",
    "a=1.5",
    "a=1e3",
    "a=0x1F",
    "a=9223372036854775807",
    "a=9223372036854775808",
    "a=",
    "a",
    "a=b,c=d",
    "a={x,y}",
    "a={1,2,true}",
    "a={}",
    "a[0]=x",
    "a[2]=x",
    "a[0].b=1",
    "a[1].b=1",
    "a[0][1]=x",
    "a\\.b=c",
    "a=b\\,c",
    "a=x=y",
    "name=a,name=b",
    "a[1]=x,a[0]=y",
    "a=b,",
    "a.=1",
    ".a=1",
    "a[x]=1",
    "a[-1]=1",
    "a[65537]=1",
    "a[65536]=1",
    "a[0]=1,a.b=2",
    "a.b=1,a[0]=2",
    "a=2,a.b=1",
    "=1",
    "a[1]",
    "a=\\{x}",
    "a=b\\",
    "a={x,{y}}",
    "a=1,,b=2",
    "x.y[0].z=1,x.y[0].w=2",
    "k8s\\.io/name=x",
    "a={1,}",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.ab.ac.ad.ae=1",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.ab.ac.ad=1",
]


def set_expressions():
    r = random.Random(2)
    return SET_CASES + ["".join(r.choice(SET_TOKENS) for _ in range(r.randrange(1, 9))) for _ in range(2500)]


@pytest.mark.parametrize("string_only", [False, True], ids=["set", "set-string"])
def test_set_parses_like_helm(string_only):
    helm_parse = helm_python.parse_set_string_values if string_only else helm_python.parse_set_string
    bad = []
    for expression in set_expressions():
        try:
            helm = "ok", helm_parse(expression)
        except HelmError as exc:
            helm = "error", str(exc)
        ours_data: dict = {}
        try:
            apply_set(ours_data, expression, string_only=string_only)
            ours = "ok", ours_data
        except SetSyntaxError as exc:
            ours = "error", str(exc)
        if helm[0] != ours[0] or (helm[0] == "ok" and helm[1] != ours[1]):
            bad.append(f"{expression!r}: helm {helm} ours {ours}")
    assert not bad, f"{len(bad)} expressions differ:\n" + "\n".join(bad[:10])


def test_set_integers_stay_int64_as_in_helm():
    """--set values never pass through JSON: 9223372036854775807 keeps every digit."""
    data: dict = {}
    apply_set(data, "a=9223372036854775807,b=7")
    assert data == helm_python.parse_set_string("a=9223372036854775807,b=7")
    assert data["a"] == 9223372036854775807 and type(data["b"]) is int
