"""The CEL engine (starter_lint/policy/cel.py): the Kubernetes documentation's admission-policy
expressions, CEL's conformance semantics, the Kubernetes extension libraries, the cost limit, and
compile errors with their column. Expected verdicts follow the CEL language definition
(github.com/google/cel-spec, langdef.md) and the Kubernetes "Validating Admission Policy" and
"CEL in Kubernetes" pages."""

from __future__ import annotations

import pytest

pytest.importorskip("cel_expr_python", reason="cel-expr-python has wheels for Python 3.11+ only")

from starter_lint.policy.cel import CelError, CelEvaluationError, compile_expression

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web", "env": "prod"}},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {"name": "a", "image": "registry.example.com/a:1"},
                    {"name": "b", "image": "registry.example.com/b:2"},
                ]
            }
        },
    },
}
BARE = {"metadata": {"name": "x"}, "spec": {}}
ADMISSION = ("object", "params", "variables")


def run(expression: str, obj: object = DEPLOYMENT, **extra: object) -> object:
    activation = {"object": obj, "params": {"maxReplicas": 5}, "variables": {"x": 2}, **extra}
    return compile_expression(expression, ADMISSION).evaluate(activation)


@pytest.mark.parametrize(
    ("expression", "obj", "expected"),
    [
        ("object.spec.replicas <= 5", DEPLOYMENT, True),
        ("object.spec.replicas <= params.maxReplicas", DEPLOYMENT, True),
        (
            "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))",
            DEPLOYMENT,
            True,
        ),
        ("object.spec.template.spec.containers.all(c, has(c.resources))", DEPLOYMENT, False),
        ("has(object.metadata.labels) && 'app' in object.metadata.labels", DEPLOYMENT, True),
        ("has(object.metadata.labels) && 'app' in object.metadata.labels", BARE, False),
        ("!has(object.spec.replicas) || object.spec.replicas >= 2", BARE, True),
        ("variables.x * 2 == 4", DEPLOYMENT, True),
        ("object.spec.template.spec.containers.exists(c, c.name == 'b')", DEPLOYMENT, True),
        ("object.spec.template.spec.containers.exists_one(c, c.name.startsWith('a'))", DEPLOYMENT, True),
        ("object.spec.template.spec.containers.map(c, c.name)", DEPLOYMENT, ["a", "b"]),
        ("object.spec.template.spec.containers.filter(c, c.name == 'a').size()", DEPLOYMENT, 1),
        ("object.?spec.?replicas.orValue(1)", DEPLOYMENT, 3),
        ("object.?spec.?replicas.orValue(1)", BARE, 1),
        ("object.metadata.name.matches('^[a-z]+$')", DEPLOYMENT, True),
        ("object.metadata.labels.all(k, k.size() <= 63)", DEPLOYMENT, True),
        ("object.metadata.name + '-' + string(object.spec.replicas)", DEPLOYMENT, "web-3"),
    ],
)
def test_kubernetes_documentation_examples(expression, obj, expected):
    assert run(expression, obj) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("7 / 2", 3),  # integer division truncates toward zero
        ("-7 / 2", -3),
        ("-7 % 2", -1),
        ("size('héllo')", 5),  # code points, not bytes
        ("dyn(1) == 1.0", True),  # heterogeneous equality at run time
        ("dyn(1) == 1u", True),
        ("dyn(1) in [1.0, 2.0]", True),
        ("'a' in {'a': 1}", True),
        ("true || 1/0 == 0", True),  # logical operators absorb an error on either side
        ("1/0 == 0 || true", True),
        ("false && 1/0 == 0", False),
        ("duration('1h') > duration('30m')", True),
        ("timestamp('2024-01-01T00:00:00Z') + duration('24h') == timestamp('2024-01-02T00:00:00Z')", True),
        ("type(1) == int && type('a') == string", True),
        ("[1, 'a'] == [1, 'a']", True),
        ("int('12') + 1", 13),
    ],
)
def test_conformance_semantics(expression, expected):
    result = run(expression)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("9223372036854775807 + 1", "overflow"),
        ("-9223372036854775808 - 1", "overflow"),
        ("18446744073709551615u + 1u", "overflow"),
        ("1u - 2u", "overflow"),
        ("1 / 0", "divide by zero"),
        ("1 % 0", "modulus by zero"),
        ("[1, 2, 3][5]", "index"),
        ("object.missing", "missing"),
        ("int('x')", ""),
        ("optional.of(1)", "not a plain value"),
    ],
)
def test_runtime_errors(expression, fragment):
    with pytest.raises(CelEvaluationError) as caught:
        run(expression)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # strings (cel-expr-python's extension)
        ("'Hello'.lowerAscii()", "hello"),
        ("'Hello'.upperAscii()", "HELLO"),
        ("'a,b'.split(',')", ["a", "b"]),
        ("['a', 'b'].join('-')", "a-b"),
        ("'  x '.trim()", "x"),
        ("'hello'.indexOf('l')", 2),
        ("'hello'.lastIndexOf('l')", 3),
        ("'hello'.replace('l', 'L')", "heLLo"),
        ("'hello'.substring(1, 3)", "el"),
        ("'hello'.charAt(1)", "e"),
        ("'%s-%d'.format(['a', 1])", "a-1"),
        # optionals
        ("optional.of(1).hasValue()", True),
        ("optional.none().orValue(2)", 2),
        # lists
        ("[1, 2, 3].sum()", 6),
        ("[1.5, 2.5].sum()", 4.0),
        ("[].sum()", 0),
        ("[9223372036854775806, 1].sum()", 9223372036854775807),
        ("[1, 2, 3].isSorted()", True),
        ("['b', 'a'].isSorted()", False),
        ("[3, 1, 2].min()", 1),
        ("[3, 1, 2].max()", 3),
        ("[1, 2, 1].indexOf(1)", 0),
        ("[1, 2, 1].lastIndexOf(1)", 2),
        ("[1, 2].indexOf(5)", -1),
        # regex
        ("'abc123def45'.find('[0-9]+')", "123"),
        ("'abc'.find('[0-9]+')", ""),
        ("'abc123def45'.findAll('[0-9]+')", ["123", "45"]),
        ("'a1b2c3'.findAll('[0-9]', 2)", ["1", "2"]),
        # sets
        ("sets.contains([1, 2, 3], [2, 3])", True),
        ("sets.contains([1, 2], [4])", False),
        ("sets.equivalent([1, 2], [2, 1, 1])", True),
        ("sets.intersects([1, 2], [2, 9])", True),
        ("sets.intersects([1], [9])", False),
        ("sets.contains([1, 2], [true])", False),  # true is not 1 in CEL
        ("sets.contains([{'a': 1}], [{'a': 1}])", True),
        ("sets.contains([1.0], [1])", True),
        # url
        ("isURL('https://example.com:8443/x?a=1')", True),
        ("isURL('not a url')", False),
        ("url('https://user@example.com:8443/x').getHost()", "example.com:8443"),
        ("url('https://example.com:8443/x').getHostname()", "example.com"),
        ("url('https://example.com:8443/x').getPort()", "8443"),
        ("url('https://example.com/x/y').getEscapedPath()", "/x/y"),
        ("url('https://example.com/x').getScheme()", "https"),
        ("url('https://example.com/?a=1&a=2').getQuery()", {"a": ["1", "2"]}),
        # ip and cidr
        ("isIP('10.0.0.1') && isIP('::1') && !isIP('10.0.0.300')", True),
        ("ip('10.0.0.1').family()", 4),
        ("ip('::1').isLoopback()", True),
        ("ip('0.0.0.0').isUnspecified()", True),
        ("ip('8.8.8.8').isGlobalUnicast()", True),
        ("isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.1')", True),
        ("cidr('10.0.0.0/8').containsIP(ip('10.1.2.3'))", True),
        ("cidr('10.0.0.0/8').containsIP('11.0.0.1')", False),
        ("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", True),
        ("cidr('10.1.0.0/16').containsCIDR(cidr('10.0.0.0/8'))", False),
        ("cidr('10.1.2.3/8').prefixLength()", 8),
        ("cidr('10.1.2.3/8').masked().containsCIDR('10.0.0.0/8')", True),
        ("cidr('10.1.2.3/8').ip().family()", 4),
        # quantity
        ("isQuantity('500Mi') && !isQuantity('5 apples')", True),
        ("quantity('1Gi').isGreaterThan(quantity('500Mi'))", True),
        ("quantity('100m').isLessThan(quantity('1'))", True),
        ("quantity('1Gi').compareTo(quantity('1024Mi'))", 0),
        ("quantity('2k').asInteger()", 2000),
        ("quantity('500m').asApproximateFloat()", 0.5),
        ("quantity('500m').isInteger()", False),
        ("quantity('-1').sign()", -1),
        ("quantity('1').add(quantity('500m')).compareTo(quantity('1500m'))", 0),
        ("quantity('1').add(2).asInteger()", 3),
        ("quantity('2').sub(quantity('500m')).asApproximateFloat()", 1.5),
        ("quantity('1Gi') == quantity('1024Mi')", True),
        ("quantity('1Gi') == quantity('1G')", False),
        ("string(quantity('1500m'))", "1.5"),
        ("string(ip('::1'))", "::1"),
        ("string(cidr('10.0.0.0/8'))", "10.0.0.0/8"),
        ("string(url('https://example.com/x'))", "https://example.com/x"),
    ],
)
def test_extension_libraries(expression, expected):
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("[].min()", "empty list"),
        ("'a'.find('(')", "invalid regular expression"),
        ("url('not a url')", "URL parse error"),
        ("ip('10.0.0.300')", "parse error"),
        ("cidr('10.0.0.1')", "parse error"),
        ("quantity('5 apples')", "quantity"),
        ("quantity('500m').asInteger()", "cannot convert"),
        ("[1, 'a'].isSorted()", "no such overload"),
        ("url('https://x').family()", "expected a ip"),
        ("string({'a': 1})", "no such overload"),
        # sum() as Kubernetes': numbers only, and int64 overflow is an error, not a bigger int
        ("['a', 'b'].sum()", "no such overload"),
        ("[true].sum()", "no such overload"),
        ("[9223372036854775807, 1].sum() > 0", "overflow"),
        ("[-9223372036854775807, -2].sum() < 0", "overflow"),
        ("[9223372036854775807, 1, -1].sum() > 0", "overflow"),
    ],
)
def test_extension_errors_are_evaluation_errors(expression, fragment):
    with pytest.raises(CelEvaluationError) as caught:
        run(expression)
    assert fragment in caught.value.message


def test_cost_limit_stops_nested_comprehensions():
    """A `map` nested over a large list is stopped by the iteration budget, not run to the end."""
    big = list(range(200))  # 200 x 200 iterations: past the 10,000 budget
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        run("object.map(a, object.map(b, a + b)).size()", big)
    assert run("object.map(a, a + 1).size()", list(range(99))) == 99


@pytest.mark.parametrize(
    ("expression", "line", "column", "fragment"),
    [
        ("object.spec.replicas <=", 1, 24, "Syntax error"),
        ("object.spec.replicas <= 5 &&\n  (object.x", 2, 12, "Syntax error"),
        ("request.name == 'x'", 1, 8, "undeclared reference to 'request.name'"),
        ("object.name.nope()", 1, 17, "undeclared reference to 'nope'"),
        ("'a' + 1", 1, 5, "no matching overload for '_+_'"),
        ("1 == 1.0", 1, 3, "no matching overload for '_==_'"),  # a type error in cel-go too
        ("   ", 1, 1, "empty"),
    ],
)
def test_compile_errors_carry_the_position(expression, line, column, fragment):
    with pytest.raises(CelError) as caught:
        compile_expression(expression, ADMISSION)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert fragment in caught.value.message


def test_compiled_once_and_variables_are_declared():
    first = compile_expression("values.a == 1", ["values", "target"])
    assert compile_expression("values.a == 1", ("target", "values")) is first
    assert first.evaluate({"values": {"a": 1}, "target": {}}) is True
    with pytest.raises(CelError, match=r"undeclared reference to 'values\.a'"):
        compile_expression("values.a == 1", ADMISSION)


def test_activation_values_beyond_int64_become_doubles():
    assert run("object.big > 1.0", {"big": 1 << 70}) is True


def test_without_the_library_policies_are_one_clear_error(monkeypatch):
    """Python 3.10 has no cel-expr-python wheel: --policy says so in one line, nothing else breaks."""
    import sys

    from starter_lint.errors import StarterLintError
    from starter_lint.policy import cel

    cel._library.cache_clear()
    monkeypatch.setitem(sys.modules, "cel_expr_python", None)
    try:
        with pytest.raises(StarterLintError, match="CEL policies need the cel-expr-python package"):
            cel._library()
    finally:
        monkeypatch.undo()
        cel._library.cache_clear()
    assert cel._library() is not None


def test_sets_are_linear_and_bounded():
    """Our functions are outside the library's iteration budget: sets hash what they can, and
    pairwise comparison of maps stops at MAX_PAIRWISE comparisons."""
    many = list(range(20_000))  # 20,000 x 20,000 pairs would take minutes
    assert run("sets.contains(object, object)", many) is True
    assert run("sets.intersects(object, params)", many, params=[-1 - x for x in many]) is False
    maps = [{"a": i} for i in range(2_000)]
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        run("sets.contains(object, object)", maps)
