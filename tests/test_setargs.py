"""`--set` / `--set-string` (a port of Helm's strvals; parity with Helm is in test_helm_parity)."""

from __future__ import annotations

import pytest

from starter_lint.errors import StarterLintError
from starter_lint.values.setargs import MAX_INDEX, SetSyntaxError, apply_set, typed_value


def parsed(expression, string_only=False, into=None):
    data = {} if into is None else into
    apply_set(data, expression, string_only=string_only)
    return data


@pytest.mark.parametrize(
    "text,value",
    [
        ("true", True),
        ("TRUE", True),
        ("False", False),
        ("null", None),
        ("NULL", None),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+7", 7),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", "9223372036854775808"),
        ("007", "007"),
        ("1.5", "1.5"),
        ("1e3", "1e3"),
        ("0x1F", "0x1F"),
        ("yes", "yes"),
        ("1_000", "1_000"),
        ("٣", "٣"),
        ("", ""),
    ],
)
def test_typed_values_as_helm_types_them(text, value):
    assert typed_value(text, False) == value and type(typed_value(text, False)) is type(value)
    assert typed_value(text, True) == text


def test_nested_keys_lists_and_indexes():
    assert parsed("a.b.c=1,a.b.d=x") == {"a": {"b": {"c": 1, "d": "x"}}}
    assert parsed("a={x, y,z}") == {"a": ["x", " y", "z"]}
    assert parsed("a[2]=x") == {"a": [None, None, "x"]}
    assert parsed("a[0].b=1,a[0].c=2") == {"a": [{"b": 1, "c": 2}]}
    assert parsed("a[0][1]=x") == {"a": [[None, "x"]]}
    assert parsed("a={}") == {"a": [""]}


def test_escapes():
    assert parsed("a\\.b=c") == {"a.b": "c"}
    assert parsed("a=b\\,c,d=e") == {"a": "b,c", "d": "e"}
    assert parsed("a=x=y") == {"a": "x=y"}
    assert parsed("k8s\\.io/name=x") == {"k8s.io/name": "x"}


def test_string_only():
    assert parsed("a=1,b=true,c={1,null}", string_only=True) == {"a": "1", "b": "true", "c": ["1", "null"]}


def test_later_assignments_win_and_merge_into_existing_values():
    into = {"a": {"keep": 1, "b": 0}, "l": [1, 2, 3]}
    assert parsed("a.b=2,a.b=3,l[1]=9", into=into) == {"a": {"keep": 1, "b": 3}, "l": [1, 9, 3]}


@pytest.mark.parametrize(
    "expression,message",
    [
        ("a", 'key "a" has no value'),
        ("a,b=1", "cannot end with ,"),
        ("a.=1", 'key map "a" has no value'),
        ("a[x]=1", "error parsing index"),
        ("a[-1]=1", "negative"),
        (f"a[{MAX_INDEX + 1}]=1", "maximum supported index"),
        ("a={x,y", "must terminate with '}'"),
        ("a[0]x=1", "unexpected data at end of array index"),
        (".".join("k" * 32) + "=1", "nested level"),
    ],
)
def test_malformed_expressions_name_the_expression(expression, message):
    with pytest.raises(SetSyntaxError) as raised:
        parsed(expression)
    assert message in str(raised.value) and repr(expression) in str(raised.value)
    assert isinstance(raised.value, StarterLintError)  # -> one line on stderr and exit 2


@pytest.mark.parametrize(
    "into,expression",
    [
        ({"a": [1]}, "a.b=1"),
        ({"a": {"b": 1}}, "a[0]=2"),
        ({"a": 2}, "a.b=1"),
        ({"a": [1]}, "a[0][0]=1"),
    ],
)
def test_contradicting_the_existing_type_is_an_error_as_in_helm(into, expression):
    with pytest.raises(SetSyntaxError, match="already"):
        parsed(expression, into=into)


@pytest.mark.parametrize(
    "expression,result", [("", {}), ("a[1]", {"a": []}), ("=1", {}), (".a=1", {}), ("a[", {})]
)
def test_degenerate_expressions_helm_accepts(expression, result):
    assert parsed(expression) == result


def test_provenance_records_each_assignment_and_its_expression():
    target, touched, record = {"x": {"keep": 1}}, {}, {}
    apply_set(target, "x.a=1,l[1].b=2", record=record, touched=touched)
    apply_set(target, "x.s=3", string_only=True, record=record, touched=touched)
    assert touched == {"x": {"a": 1, "s": "3"}, "l": [None, {"b": 2}]}
    assert record == {
        ("x", "a"): ("set", "x.a=1,l[1].b=2"),
        ("l", 1, "b"): ("set", "x.a=1,l[1].b=2"),
        ("x", "s"): ("set-string", "x.s=3"),
    }
    assert target == {"x": {"keep": 1, "a": 1, "s": "3"}, "l": [None, {"b": 2}]}
