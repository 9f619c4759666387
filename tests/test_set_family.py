"""--set-json, --set-literal, --set-file against Helm v4's own parsers (the SDK), and the order
Helm applies the whole --set family in (pkg/cli/values/options.go MergeValues).

The hand-written inputs include the inputs of Helm's pkg/strvals tests for these kinds
(literal_parser_test.go, parser_test.go TestParseJSON), re-expressed as data; the SDK says what
each must give. Random inputs come from small alphabets that reach every branch of the parsers.
"""

from __future__ import annotations

import itertools
import random

import pytest

from starter_lint.errors import StarterLintError
from starter_lint.option_table import SET_KINDS
from starter_lint.tree import merge_maps
from starter_lint.values.layers import Layer, layer_values
from starter_lint.values.setargs import apply_set
from starter_lint.values.setfile import set_file_reader
from starter_lint.yamlio import load_values

from .support import NEEDS_HELM_SDK

try:
    import helm_python
except ImportError as exc:  # pragma: no cover - the SDK is a test dependency
    pytest.skip(f"{NEEDS_HELM_SDK} ({exc})", allow_module_level=True)

HelmError = helm_python.HelmError

# literal_parser_test.go (TestParseLiteral, TestParseLiteralInto): the inputs
HELM_LITERAL_INPUTS = [
    "]={}].", "boolean=true", "illegal[0]name.foo=bar", "is_null=null", "leading_zeros=00009",
    "listOuter[0][0].type=listValue", "listOuter[0][1][0].type=listValue", "list[-30].hello=world",
    "list[0].foo=bar", "list[0]=foo", "list[3]=bar", "long_int_string=1234567890", "name",
    "name1.,name2", "name1.=name2", "name1.name2", "name1.name2=", "name1.name2[0].foo=bar",
    "name1.name2[1].foo=bar", "name1=null,name2=value2", "name1=value,,,tail",
    "name1={value1,value2}", "name=", "name=(value", "name=(value)", "name=one two three",
    "name=val$val", "name=val,val", "name=val.val", "name=val=val", "name=value", "name=value)",
    "name=value}", "name={value", "name={value1,value2}", "name={value}", "nested[0][0]=1",
    "nested[1][1]=1", "noval[0]", "noval[0]=", "outer.inner1=value1,outer.inner3=value3,outer.inner4=4",
    "outer.inner=value", "outer.middle.inner=value", "zero=0",
    ".".join(f"name{i}" for i in range(1, 33)) + "=value",  # TestParseLiteralNestedLevels
    "outer.middle.inner=value",
]  # fmt: skip

# parser_test.go TestParseJSON: the inputs (the last is its syntax error)
HELM_JSON_INPUTS = [
    'outer.inner1="1",outer.inner3=3,outer.inner4=true,outer.inner5="true"',
    'outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],'
    'outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5=[{"A":"1","B":2,"C":[1,2,3]}]',
    'outer.inner1=,outer.inner3={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner3.cc[1]=null',
    'outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],'
    'outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5={"A":"1","B":2,"C":[1,2,3]}]',
]
# Go's decoder where Python's json module differs, and strvals' emptyVal
JSON_CASES = [
    "a=1", "a=1.5", "a=1.0", "a=-0", "a=1e2", "a=1E+2", "a=1e400", "a=1e-400", "a=1e20", "a=1e21",
    "a=12345678901234567890123", "a=9007199254740993", "a=5e-324", "a=01", "a=1.", "a=1e", "a=1.e5",
    "a=1b", "a=truex", "a=tru", "a=NaN", "a=Infinity", "a=-Infinity", "a=-", 'a="x"b=1',
    'a={"x":1}b=2', 'a="\\ud800"', 'a="\\ud83d\\ude00"', 'a="\\u00e9\\n"', 'a=" x\ty"', 'a="\\/"',
    'a="\\x"', "a=[1,]", 'a={"a":1,"a":2}', "a=", "a=,b=1", "a=,,b=1", "a=1,,b=2", "a=1 , b = 2",
    "a=\u00a0 1", "a=\x0b1", "a=\x1c1", "a=[1,{\"b\":null}]", "a[1]=2", "a[0]=1,a[1]={\"x\":1}",
    "a.b[1]=[1]", "a.b=[1]", "a", "a=1,", "a=[[[[[]]]]]", "a={", "a=[", 'a="', "a={}", "a=[]",
    'a=""', "a= ", "a=\t", 'a.b={"c":{"d":[{"e":null}]}}', "a\\.b=1", "a\\,b=1", 'a="x,y",b=2',
    "=1", ".a=1", "a[", "a[1]", "a[x]=1", "a[0]x=1", f"a[{65537}]=1",
    ".".join("k" * 32) + "=1", "a" + "[0]" * 40 + "=1",
]  # fmt: skip
LITERAL_CASES = [
    "a\\.b=c", "a,b=c", "a.b", "a=b,c=d", "a=\\,x", "a=", "a==", "a=\n", "a[0]=x,y", "a[0][1]=z",
    "a[x]=1", "a[0]x=1", "a[1", "a.b.c=d", "=x", ".a=1", "a[0].b=1", "a={x,y}", "a b=c d",
]  # fmt: skip


def helm_or_error(parse, expression):
    try:
        return "ok", parse(expression)
    except HelmError as exc:
        return "error", str(exc)


def ours_or_error(kind, expression, read_file=None):
    data: dict = {}
    try:
        apply_set(data, expression, kind=kind, read_file=read_file)
        return "ok", data
    except StarterLintError as exc:
        return "error", str(exc)


def disagreements(kind, parse, expressions, read_file=None):
    bad = []
    for expression in expressions:
        helm, ours = helm_or_error(parse, expression), ours_or_error(kind, expression, read_file)
        if helm[0] != ours[0] or (helm[0] == "ok" and helm[1] != ours[1]):
            bad.append(f"{expression!r}: helm {helm} ours {ours}")
    return bad


def random_expressions(tokens, seed, count, longest=9):
    r = random.Random(seed)
    return ["".join(r.choice(tokens) for _ in range(r.randrange(1, longest))) for _ in range(count)]


JSON_TOKENS = [
    "a", "b", ".", "[0]", "[1]", "=", "=", ",", " ", "1", "-2", "1.5", "1e3", "0", '"x"', '"a,b"',
    "true", "null", "[1,2]", '{"k":1}', '{"k":[null]}', "[", "]", "{", "}", '"', "\\", ".5", "e",
    "\u00a0", '{"a":{"b":"c"}}',
]  # fmt: skip
LITERAL_TOKENS = ["a", "b", ".", "[0]", "[2]", "=", ",", "\\", "{", "}", " ", "x", "[", "]", "1"]


def test_json_parses_like_helm():
    cases = HELM_JSON_INPUTS + JSON_CASES + random_expressions(JSON_TOKENS, 11, 2500)
    # a whole JSON object is MergeValues' own form, not strvals.ParseJSON's (the SDK's): below
    cases = [c for c in cases if not c.strip(" \u00a0").startswith("{")]
    bad = disagreements("set-json", helm_python.parse_set_json, cases)
    assert not bad, f"{len(bad)} of {len(cases)} expressions differ:\n" + "\n".join(bad[:10])


def test_literal_parses_like_helm():
    cases = HELM_LITERAL_INPUTS + LITERAL_CASES + random_expressions(LITERAL_TOKENS, 12, 2500)
    bad = disagreements("set-literal", helm_python.parse_set_literal, cases)
    assert not bad, f"{len(bad)} of {len(cases)} expressions differ:\n" + "\n".join(bad[:10])


FILE_TOKENS = ["a", "b", ".", "[0]", "[1]", "=", "=", ",", "f1", "f2", "{", "}", "\\", "d", "zz", "sub/f3"]


def test_file_parses_like_helm(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f1").write_text("one\n")
    (tmp_path / "f2").write_text("two, with = and {x,y}")
    (tmp_path / "d").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f3").write_text("")
    (tmp_path / "a,b").write_text("comma")
    cases = [
        "name1=f1", "a=f1,b=f2", "a={f1,f2}", "a={f1}", "a={}", "a=", "a=,b=f1", "a=zz", "a=d",
        "a[1]=f2", "a.b=sub/f3", "a=a\\,b", "a={f1,zz}", "a={f1", "a[0].b=f1",
    ]  # fmt: skip
    cases += random_expressions(FILE_TOKENS, 13, 1500)
    bad = disagreements("set-file", helm_python.parse_set_file, cases, set_file_reader(tmp_path))
    assert not bad, f"{len(bad)} of {len(cases)} expressions differ:\n" + "\n".join(bad[:10])


@pytest.mark.parametrize(
    "kind,expression,words",
    [
        ("set-json", "a=1e400", "cannot unmarshal number 1e400"),
        ("set-json", "a=1b", 'key "b" has no value'),
        ("set-json", "a=NaN", "invalid character 'N'"),
        ("set-json", "a=[1,]", "invalid character ']'"),
        ("set-json", "a=tru", "unexpected EOF"),
        ("set-json", 'a=" x\ty"', "invalid character '\\t'"),
        ("set-literal", "a.b", 'key "b" has no value'),
        ("set-literal", "name1.=name2", 'key map "name1" has no value'),
        ("set-literal", "list[-30].hello=world", "negative -30 index not allowed"),
        ("set-literal", "illegal[0]name.foo=bar", "unexpected data at end of array index"),
    ],
)
def test_errors_say_what_helm_says(kind, expression, words):
    parse = {"set-json": helm_python.parse_set_json, "set-literal": helm_python.parse_set_literal}[kind]
    helm, ours = helm_or_error(parse, expression), ours_or_error(kind, expression)
    assert helm[0] == ours[0] == "error"
    assert words in helm[1] and words in ours[1], (helm, ours)
    assert ours[1].startswith(f"--{kind} {expression!r}: ")  # one line naming the flag


@pytest.mark.parametrize(
    "text,python_313",
    [
        ("[1,]", ("Illegal trailing comma before end of array", 2)),
        ("[1, \n]", ("Illegal trailing comma before end of array", 2)),
        ('{"a":1,}', ("Illegal trailing comma before end of object", 6)),
    ],
)
def test_a_trailing_comma_is_worded_alike_by_every_python(text, python_313):
    """Python 3.13's decoder stops at a trailing comma with words of its own; earlier ones (and
    Go) stop at the `]` or `}` after it: the message is the same whichever Python reads it."""
    import json

    from starter_lint.values.gojson import GoJsonError, _go_message, decode_value

    with pytest.raises(GoJsonError) as raised:
        decode_value(text, 0, 100)
    assert _go_message(text, json.JSONDecodeError(python_313[0], text, python_313[1])) == str(raised.value)
    assert str(raised.value).startswith(f"invalid character {text.rstrip()[-1]!r}")


# the order: each kind sets the same keys, so whichever Helm applies last wins ----------------
ORDER_ARGS = [
    ("set-json", 'a.k.json=1,a.k.m={"j":true},a.j=1'),
    ("set", "a.k.m.s=2,a.s=set,a.j=2"),
    ("set-string", "a.k.m.s=3,a.ss=x,a.s=string"),
    ("set-file", "a.k.m.f=f1,a.s=f1"),
    ("set-literal", "a.s=lit,eral"),
    ("set-json", "a.j=null,a.n=[1]"),
]
SDK_PARSERS = {
    "set-json": "parse_set_json",
    "set": "parse_set_string",
    "set-string": "parse_set_string_values",
    "set-file": "parse_set_file",
    "set-literal": "parse_set_literal",
}


def helm_merged(file_text, args):
    """The SDK's parsers applied in Helm's order (MergeValues) over the -f file, merged."""
    merged = helm_python.values_from_yaml(file_text)
    for kind in SET_KINDS:
        for arg_kind, expression in args:
            if arg_kind == kind:
                merged = merge_maps(merged, getattr(helm_python, SDK_PARSERS[kind])(expression))
    return merged


@pytest.mark.parametrize("seed", range(6))
def test_kinds_apply_in_helms_order_whatever_the_command_line_order(seed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f1").write_text("from file")
    file_text = "a:\n  s: file\n  k: {keep: 1}\n"
    loaded = load_values(file_text, "values.yaml")
    orders = list(itertools.permutations(ORDER_ARGS))
    args = list(random.Random(seed).choice(orders))
    expected = helm_merged(file_text, args)
    ours = layer_values(
        None,
        [Layer("values.yaml", "file", loaded.data, loaded)],
        [(expression, kind) for kind, expression in args],
        set_file_reader(tmp_path),
    )
    assert ours.values == expected
    assert ours.values["a"]["s"] == "lit,eral"  # --set-literal is applied last


def test_set_string_follows_set_whatever_the_order():
    """Before Helm's order was followed, --set and --set-string applied in command-line order."""
    for args in ([("a=string", "set-string"), ("a=1", "set")], [("a=1", "set"), ("a=string", "set-string")]):
        assert layer_values(None, [], args).values == {"a": "string"}
