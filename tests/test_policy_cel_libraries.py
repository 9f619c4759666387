"""The CEL libraries Kubernetes 1.34 gives admission policies beyond the core language
(docs/cel-libraries.md): cel-go's lists (version 3's functions) and two-variable comprehensions,
ordering across numeric types, and Kubernetes' semver and format libraries. Expected results are
the examples of cel-go's ext documentation (github.com/google/cel-go, ext/README.md), of the
Kubernetes libraries' documentation (k8s.io/apiserver/pkg/cel/library: semverlib.go, format.go),
semver.org's precedence rules and the CEL language definition (cel-spec, langdef.md)."""

from __future__ import annotations

import pytest

pytest.importorskip("cel_expr_python", reason="cel-expr-python has wheels for Python 3.11+ only")

from starter_lint.policy import limits
from starter_lint.policy.cel import CelError, CelEvaluationError, compile_expression

VARIABLES = ("object", "params", "variables")


def run(expression: str, obj: object = None) -> object:
    return compile_expression(expression, VARIABLES).evaluate(
        {"object": obj, "params": None, "variables": {}}
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # cel-go ext.Lists (Kubernetes enables version 3 from 1.34)
        ("[1, 2, 3, 4].slice(1, 3)", [2, 3]),
        ("[1, [2, 3], [4]].flatten()", [1, 2, 3, 4]),
        ("[1, [2, [3, 4]]].flatten()", [1, 2, [3, 4]]),
        ("[1, [2, [3, 4]]].flatten(2)", [1, 2, 3, 4]),
        ("[1, 2, 2, 3, 3, 3].distinct()", [1, 2, 3]),
        ("['b', 'b', 'c', 'a', 'c'].distinct()", ["b", "c", "a"]),
        ("lists.range(5)", [0, 1, 2, 3, 4]),
        ("[5, 3, 1, 2].reverse()", [2, 1, 3, 5]),
        ("[3, 2, 1].sort()", [1, 2, 3]),
        ("['b', 'c', 'a'].sort()", ["a", "b", "c"]),
        (
            "[{'name': 'foo', 'score': 0}, {'name': 'bar', 'score': -10}, {'name': 'baz', 'score': 1000}]"
            ".sortBy(e, e.score).map(e, e.name)",
            ["bar", "foo", "baz"],
        ),
        # the Kubernetes list functions beside them still work
        ("[1, 2, 3].indexOf(2) == 1 && 'abc'.indexOf('c') == 2 && [1, 2].isSorted()", True),
        # cel-go ext.TwoVarComprehensions (Kubernetes 1.32+)
        ("[1, 2, 3].all(i, j, i < j)", True),
        ("{'hello': 'world', 'taco': 'taco'}.all(k, v, k != v)", False),
        ("{'h': ['hello', 'hi'], 'j': ['joke', 'jog']}.all(k, vals, vals.all(v, v.startsWith(k)))", True),
        ("[16, 8, 4].exists(i, v, v == 1024 && i == 10)", False),
        (
            "{'greeting': 'hello', 'farewell': 'goodbye'}.exists(k, v, k.startsWith('good') || v.endsWith('bye'))",
            True,
        ),
        ("[1, 2, 1].existsOne(i, v, i == 1 || v == 1)", False),
        ("[1, 2, 2].existsOne(i, v, i == 2 && v == 2)", True),
        ("[1, 2, 3].transformList(i, v, (i * v) + v)", [1, 4, 9]),
        ("[1, 2, 3].transformList(i, v, i % 2 == 0, (i * v) + v)", [1, 9]),
        # ordering across int, uint and double (cel-go's CrossTypeNumericComparisons, Kubernetes 1.28+)
        ("1 < 1.5", True),
        ("2u <= 2", True),
        ("-1 < 0u", True),
        ("1.5 >= 2", False),
        ("3 > 2.5 && 2.5 > 2u", True),
        ("'a' < 'b' && b'a' < b'b' && false < true", True),  # same-type ordering unchanged
        ("duration('1s') < duration('2s')", True),
        ("dyn(1u) == 1", True),  # heterogeneous equality at run time, as before
    ],
)
def test_cel_go_extensions_kubernetes_enables(expression, expected):
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("isSemver('1.0.0')", True),
        ("isSemver('0.1.0-alpha.1')", True),
        ("isSemver('hello')", False),
        ("isSemver('v1.0')", False),  # a leading "v" only with normalization
        ("isSemver('v1.0', true)", True),
        ("isSemver('01.01.01', true)", True),
        ("isSemver('01.01.01')", False),  # leading zeros are not semver.org's
        ("isSemver('1.0.0+build.7')", True),
        (
            "semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3",
            True,
        ),
        ("semver('v1.0.0', true) == semver('1.0.0')", True),
        ("semver('1.0', true) == semver('1.0.0')", True),
        ("semver('01.01.01', true) == semver('1.1.1')", True),
        ("semver('1.2.3').compareTo(semver('1.2.3'))", 0),
        ("semver('1.2.3').compareTo(semver('2.0.0'))", -1),
        ("semver('1.2.3').compareTo(semver('0.1.2'))", 1),
        ("semver('1.10.0').isGreaterThan(semver('1.9.0'))", True),  # numbers, not text
        ("semver('1.0.0').isLessThan(semver('1.0.0'))", False),
        ("semver('1.0.0+a') == semver('1.0.0+b')", True),  # build metadata is not compared
        # semver.org 11.4: 1.0.0-alpha < -alpha.1 < -alpha.beta < -beta < -beta.2 < -beta.11 < -rc.1 < 1.0.0
        ("lists.range(7).all(i, semver(object[i]).isLessThan(semver(object[i + 1])))", True),
        ("lists.range(7).all(i, semver(object[i + 1]).compareTo(semver(object[i])) == 1)", True),
        ("semver('1.0.0').major() + 1", 2),
    ],
)
def test_semver_library(expression, expected):
    precedence = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2"]
    precedence += ["1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    assert run(expression, precedence) == expected


@pytest.mark.parametrize(
    ("name", "valid", "invalid"),
    [
        # the valid examples are format.go's own
        ("dns1123Label", "my-label-name", "My_Name"),
        ("dns1123Subdomain", "apiextensions.k8s.io", "-leading.example.com"),
        ("dns1035Label", "my-label-name", "1abc"),
        ("qualifiedName", "apiextensions.k8s.io/v1beta1", "a/b/c"),
        ("dns1123LabelPrefix", "my-label-prefix-", "My-prefix-"),
        ("dns1123SubdomainPrefix", "mysubdomain.prefix.-", "UPPER.prefix-"),
        ("dns1035LabelPrefix", "my-label-prefix-", "9-prefix-"),
        ("labelValue", "", "-not-a-value"),
        ("uri", "http://example.com", "not a uri"),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"),
        ("byte", "aGVsbG8=", "%%%"),
        ("date", "2021-01-01", "2021-02-30"),
        ("datetime", "2021-01-01T00:00:00Z", "2021-01-01T25:00:00Z"),
    ],
)
def test_format_library(name, valid, invalid):
    """validate() is none (no errors) for a valid string and a list of messages otherwise, the same
    through format.<name>() and format.named('<name>')."""
    assert run(f"format.{name}().validate(object).hasValue()", valid) is False
    assert run(f"format.named('{name}').value().validate(object).hasValue()", valid) is False
    errors = run(f"format.{name}().validate(object).value()", invalid)
    assert isinstance(errors, list) and errors and all(isinstance(e, str) and e for e in errors)
    assert run(f"format.named('{name}').value().validate(object).value()", invalid) == errors


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("format.named('dns1123Label').hasValue()", True),
        ("format.named('nope').hasValue()", False),
        ("format.dns1123Label().validate(object.metadata.name).hasValue()", True),
        ("format.qualifiedName().validate('/name').value()", ["prefix part must be non-empty"]),
        ("format.qualifiedName().validate('example.com/').value()", ["name part must be non-empty"]),
        ("format.uuid().validate('nope').value()", ["does not match the UUID format"]),
        ("format.byte().validate('%%%').value()", ["invalid base64"]),
        ("format.date().validate('2021-02-30').value()", ["invalid date"]),
        ("format.datetime().validate('2021-01-01T00:00:00').hasValue()", False),  # zone optional
        (
            "format.dns1123Label().validate(object.metadata.name).value().join('; ').contains('RFC 1123')",
            True,
        ),
    ],
)
def test_format_messages_and_names(expression, expected):
    assert run(expression, {"metadata": {"name": "Web_1"}}) == expected


def test_a_prefix_may_end_with_a_dash_as_in_kubernetes():
    """Kubernetes masks a prefix's trailing '-' by replacing it and the character before it with
    one 'a' (k8s.io/apimachinery's maskTrailingDash), so a 64-character prefix ending in '-'
    passes the 63-character limit."""
    assert run("format.dns1123LabelPrefix().validate(object).hasValue()", "a" * 63 + "-") is False
    assert run("format.dns1123LabelPrefix().validate(object).hasValue()", "a" * 64) is True
    assert run("format.dns1123LabelPrefix().validate(object).hasValue()", "-") is True
    assert run("format.dns1123Label().validate(object).hasValue()", "web-") is True


def test_format_length_message():
    assert run("format.dns1123Label().validate(object).value()", "a" * 64) == [
        "must be no more than 63 characters"
    ]
    assert run("format.dns1123Subdomain().validate(object).hasValue()", "a." * 126 + "a") is False  # 253
    assert run("format.dns1123Subdomain().validate(object).hasValue()", "a." * 127 + "a") is True  # 255


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("semver('200K')", "invalid semantic version"),
        ("semver('Three')", "invalid semantic version"),
        ("semver('1.0')", "invalid semantic version"),  # shortened only with normalization
        ("semver('1.0-rc', true)", "short version cannot contain"),
        ("semver('01.0.0')", "invalid semantic version"),
        ("semver('99999999999999999999.0.0')", "beyond int64"),
        ("semver('1.0.0').compareTo(quantity('1'))", "no such overload"),
        ("quantity('1').compareTo(semver('1.0.0'))", "no such overload"),
        ("semver(object).major()", "No matching overloads"),  # a number where a string is declared
        ("format.named('nope').value()", "optional.none() dereference"),
        ("{'a': 1}.hasValue()", "no such overload"),
        ("url('https://x').validate('a')", "no such overload"),
        ("[1, 'b'].sort()", "same type"),
        ("[1, 2].slice(2, 1)", "start index"),
        ("[[1]].flatten(-1)", "negative"),
    ],
)
def test_library_errors_are_evaluation_errors(expression, fragment):
    with pytest.raises(CelEvaluationError) as caught:
        run(expression, 1)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("expression", "column", "fragment"),
    [
        # transformMap needs a function cel-expr-python 0.1 does not register: said at compile time
        ("{'a': 1}.transformMap(k, v, v + 1)", 10, "transformMap and transformMapEntry are not available"),
        ("object.x == 1 &&\n  object.transformMapEntry(k, v, {v: k}) == {}", 10, "not available"),
        # not in Kubernetes' admission environment (cel-go's ext.Bindings and ext.Encoders): rejected
        # as the API server rejects them
        ("cel.bind(x, 1, x + 1) == 2", 10, "undeclared reference"),
        ("base64.encode(b'hello') == 'aGVsbG8='", 1, "undeclared reference to 'base64'"),
        # nor cel-go's math, nor strings beyond version 2 (a string's reverse() is version 3)
        ("math.greatest(1, 2) == 2", 1, "undeclared reference to 'math'"),
        ("'abc'.reverse() == 'cba'", 14, "no matching overload for 'reverse'"),
        # equality of different numeric types is a type error in cel-go's checker, also with
        # cross-type ordering enabled
        ("1u == 1", 4, "no matching overload for '_==_'"),
        ("1 < 'a'", 3, "no matching overload for '_<_'"),
        ("format.dns1123Label().validate(1)", 31, "no matching overload for 'validate'"),
        # orValue() takes real optionals only, which a Python function cannot return (docs/cel-libraries.md)
        ("format.uuid().validate('x').orValue([])", 36, "orValue()/or() on a format library result"),
    ],
)
def test_what_kubernetes_rejects_is_a_compile_error(expression, column, fragment):
    with pytest.raises(CelError) as caught:
        compile_expression(expression, VARIABLES)
    assert caught.value.column == column
    assert fragment in caught.value.message


def test_two_variable_comprehensions_count_towards_the_iteration_budget():
    assert run("lists.range(9999).all(i, v, i == v)") is True
    with pytest.raises(CelEvaluationError, match="more than 10,000 comprehension iterations"):
        run("lists.range(101).all(i, a, lists.range(100).all(j, b, true))")


def test_the_new_python_functions_draw_from_the_cost_budget(monkeypatch):
    monkeypatch.setattr(limits, "COST_BUDGET", 1000)
    assert run("format.dns1123Subdomain().validate(object).hasValue()", "a" * 900) is True
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        run("[1, 2].map(i, format.dns1123Subdomain().validate(object).hasValue())", "a" * 900)
    versions = [f"1.{i}.0" for i in range(600)]
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        run("object.map(v, semver(v).major()).size() > 0", versions)
