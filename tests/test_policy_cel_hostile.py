"""What a hostile policy can make of the CEL environment (policy/cel.py, k8s_library.py,
k8s_types.py, k8s_format.py): `lists.range` and `distinct` within the cost budget and as cel-go
defines them (github.com/google/cel-go, ext/lists.go: range of n <= 0 is empty, distinct compares
with CEL's equality), every failure of the library or of a Python function an evaluation error
with a message, maps forged to look like a semver, quantity, URL, IP, CIDR or format refused as
no such overload, and `.transformMap(` inside a string literal or comment not taken for a call."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("cel_expr_python", reason="cel-expr-python has wheels for Python 3.11+ only")

from starter_lint.policy import limits
from starter_lint.policy.cel import (
    CelError,
    CelEvaluationError,
    CompiledExpression,
    _guarded,
    compile_expression,
)

VARIABLES = ("object",)


def run(expression: str, obj: object = None) -> object:
    return compile_expression(expression, VARIABLES).evaluate({"object": obj})


# ---------------------------------------------------------------------------------------------
# lists.range


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("lists.range(5)", [0, 1, 2, 3, 4]),
        ("lists.range(0)", []),
        ("lists.range(-1)", []),  # cel-go: no element below n; cel-cpp failed with "vector::reserve"
        ("lists.range(object - 10)", []),
        ("lists.range(-9223372036854775807 - 1)", []),
        ("lists.range(3).map(i, i * 2)", [0, 2, 4]),
        ("lists.range(3)[2] + 1", 3),
    ],
)
def test_lists_range_as_cel_go(expression, expected):
    assert run(expression, 3) == expected


def test_lists_range_draws_n_from_the_cost_budget(monkeypatch):
    assert len(run("lists.range(object)", 900)) == 900
    monkeypatch.setattr(limits, "COST_BUDGET", 1000)
    assert len(run("lists.range(object)", 900)) == 900
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        run("lists.range(object)", 1001)
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        run("[lists.range(600), lists.range(600)]")


def test_a_huge_range_is_the_cost_limit_not_a_crash():
    started = time.process_time()
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        run("lists.range(100000000000).size()")  # cel-cpp's: MemoryError (std::bad_alloc)
    assert time.process_time() - started < 1


def test_a_wrong_argument_is_still_a_compile_error():
    with pytest.raises(CelError, match="no matching overload"):
        compile_expression("lists.range('a')", VARIABLES)
    with pytest.raises(CelError, match="no matching overload"):
        compile_expression("'abc'.distinct()", VARIABLES)


# ---------------------------------------------------------------------------------------------
# distinct


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # cel-go ext/lists.go's examples
        ("[1, 2, 2, 3, 3, 3].distinct()", [1, 2, 3]),
        ("['b', 'b', 'c', 'a', 'c'].distinct()", ["b", "c", "a"]),
        ("[1, 'b', 2, 'b'].distinct()", [1, "b", 2]),
        ("[].distinct()", []),
        # CEL's equality: numbers equal across types, inside lists and maps too; true is not 1
        ("[1, 1.0, 1u].distinct()", [1]),
        ("[2.0, 2].distinct()", [2.0]),
        ("[[1], [1.0], [1u], [1, 2]].distinct()", [[1], [1, 2]]),
        ("[{'a': 1}, {'a': 1.0}, {'a': 2}].distinct()", [{"a": 1}, {"a": 2}]),
        ("[{1: 'x'}, {1u: 'x'}].distinct()", [{1: "x"}]),
        ("[true, 1, false, 0, null, null].distinct()", [True, 1, False, 0, None]),
        ("['a', b'a', 'a'].distinct()", ["a", b"a"]),
        ("[[1, 2], [2, 1]].distinct()", [[1, 2], [2, 1]]),  # lists are ordered
        ("[{'a': 1, 'b': 2}, {'b': 2, 'a': 1}].distinct()", [{"a": 1, "b": 2}]),  # maps are not
        ("object.distinct()", [{"k": [1]}, {"k": [2]}]),
    ],
)
def test_distinct_as_cel_go(expression, expected):
    assert run(expression, [{"k": [1]}, {"k": [2]}, {"k": [1]}]) == expected


def test_distinct_nan_is_never_a_repeat():
    # NaN equals nothing in CEL, itself included (cel-go keeps every one)
    assert run("[0.0 / 0.0, 0.0 / 0.0].distinct().size()") == 2
    assert run("[[0.0 / 0.0], [0.0 / 0.0], [1]].distinct().size()") == 3


def test_distinct_of_many_lists_is_linear():
    # cel-cpp's compared every pair outside any budget: 8,000 lists 8.4 s, 20,000 about a minute
    lists = [[i, 1.0] for i in range(20_000)] * 2
    started = time.process_time()
    assert run("object.distinct().size()", lists) == 20_000
    assert time.process_time() - started < 5


def test_distinct_draws_from_the_cost_budget(monkeypatch):
    monkeypatch.setattr(limits, "COST_BUDGET", 1000)
    assert run("object.distinct().size()", [[i] for i in range(300)]) == 300
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        # nested elements count: 300 lists of 3
        run("object.distinct().size()", [[i, i, i] for i in range(300)])


# ---------------------------------------------------------------------------------------------
# every failure an evaluation error with a message


class _Raising:
    """A compiled expression of the library whose evaluation raises `error`."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def eval(self, **_: object) -> object:
        raise self.error


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RuntimeError("INVALID_ARGUMENT: no such key: 'x'"), "no such key: 'x'"),
        (ValueError("vector::reserve"), "vector::reserve"),  # std::length_error
        (IndexError("vector::_M_range_check"), "vector::_M_range_check"),  # std::out_of_range
        (OverflowError(), "OverflowError"),
        (RuntimeError("UNKNOWN: "), "the CEL library reported an error without a message"),
    ],
)
def test_any_library_exception_is_an_evaluation_error(error, message):
    expression = CompiledExpression("x", frozenset(VARIABLES), _Raising(error))
    with pytest.raises(CelEvaluationError) as caught:
        expression.evaluate({"object": 1})
    assert caught.value.message == message


@pytest.mark.parametrize("error", [MemoryError("std::bad_alloc"), KeyboardInterrupt()])
def test_memory_and_interrupts_are_not_evaluation_errors(error):
    # a MemoryError is the memory limit's breach (limits.py): a policy's fault, not a finding
    expression = CompiledExpression("x", frozenset(VARIABLES), _Raising(error))
    with pytest.raises(type(error)):
        expression.evaluate({"object": 1})


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (AssertionError(), "AssertionError"),
        (KeyError("value"), "'value'"),
        (ZeroDivisionError("division by zero"), "division by zero"),
    ],
)
def test_any_python_function_failure_is_a_runtime_error_with_a_message(error, message):
    def failing() -> None:
        raise error

    with pytest.raises(RuntimeError) as caught:
        _guarded(failing)()
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("{'@kubernetesType': 'semver', 'value': 'x'}.major() == 1", "no such overload: expected a semver"),
        ("{'@kubernetesType': 'semver'}.minor() == 1", "no such overload: expected a semver"),
        ("{'@kubernetesType': 'semver', 'value': 1}.patch() == 1", "no such overload: expected a semver"),
        ("semver('1.0.0').compareTo({'@kubernetesType': 'semver', 'value': '1'}) == 0", "expected a semver"),
        ("{'@kubernetesType': 'quantity', 'value': 'x'}.sign() == 1", "'x' is not a Kubernetes quantity"),
        ("{'@kubernetesType': 'quantity'}.isInteger()", "no such overload: expected a quantity"),
        ("{'@kubernetesType': 'url', 'value': 'x'}.getHost() == ''", "URL parse error"),
        ("{'@kubernetesType': 'url', 'value': ['x']}.getHost() == ''", "no such overload: expected a url"),
        ("{'@kubernetesType': 'ip', 'value': 'x'}.family() == 4", "IP Address 'x' parse error"),
        ("string({'@kubernetesType': 'ip'}) == ''", "no such overload: expected a ip"),
        ("{'@kubernetesType': 'cidr', 'value': 'x'}.prefixLength() == 1", "network address parse error"),
        ("{'@kubernetesType': 'format', 'value': 'x'}.validate('a').hasValue()", "expected a format"),
        ("{'@kubernetesType': 'format'}.validate('a').hasValue()", "expected a format"),
        ("{'@kubernetesType': 'optional'}.value() == 1", "optional.none() dereference"),
    ],
)
def test_forged_typed_values_are_refused_with_a_message(expression, fragment):
    with pytest.raises(CelEvaluationError) as caught:
        run(expression)
    assert fragment in caught.value.message
    assert "UNKNOWN" not in caught.value.message


# ---------------------------------------------------------------------------------------------
# transformMap inside string literals and comments


@pytest.mark.parametrize(
    "expression",
    [
        "object == '.transformMap('",
        'object == ".transformMap("',
        "object == '''.transformMap(\n'''",
        'object == """x\n.transformMapEntry("""',
        "object == r'.transformMap('",
        "object == b'.transformMap(' || true",
        r"object == '\'.transformMap(\''",  # an escaped quote does not end the literal
        r'object == "\".transformMap(" + "\\"',
        "object == 'a' // then .transformMap(k, v, v)",
    ],
)
def test_transform_map_in_a_literal_or_comment_is_not_a_call(expression):
    assert run(expression, "x") in (False, True)


@pytest.mark.parametrize(
    ("expression", "line", "column"),
    [
        ("'.transformMap(' == '' || {'a': 1}.transformMap(k, v, v) == {}", 1, 36),
        ("r'\\'.size() == 1 || {'a': 1}.transformMap(k, v, v) == {}", 1, 30),  # no escapes in r'…'
        ("'''a\n.transformMap(''' == '' ||\n  {}.transformMapEntry(k, v, {}) == {}", 3, 6),
        ("// '\n{}.transformMap(k, v, v) == {}", 2, 4),  # a quote in a comment opens nothing
    ],
)
def test_transform_map_after_a_literal_is_still_refused_where_it_is(expression, line, column):
    with pytest.raises(CelError, match="transformMap and transformMapEntry are not available") as caught:
        compile_expression(expression, VARIABLES)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_compile_errors_do_not_name_the_container():
    with pytest.raises(CelError) as caught:
        compile_expression("nope.x == 1", VARIABLES)
    assert caught.value.message == "undeclared reference to 'nope.x'"
    assert "container" not in caught.value.message
