"""A rule part of an inline `disable=` that is not ASCII names no rule (as `--select` and
`--ignore` refuse it, options.parse_rule_ids): Python's case mapping would otherwise make `ſl301`
SL301 and the Kelvin sign in `SL901/\u212aeep` a `k`, a rule or policy other than the one written,
suppressed silently. Such a part suppresses nothing, and SL107 says so, showing the character."""

from __future__ import annotations

from starter_lint.directives import parse_directives, split_rules, unknown_rule_parts
from starter_lint.options import rule_matches

from .test_policy_selector_fixes import check, tree, with_disable  # noqa: F401  (tree: a fixture)

LONG_S, KELVIN = "\u017f", "\u212a"  # upper-case to S, lower-case to k


def test_a_part_that_is_not_ascii_is_kept_escaped_and_matches_nothing():
    (directive,) = parse_directives(
        f"a: 1  # starter-lint: disable={LONG_S}l301,SL901/{KELVIN}eep,sl3 why\n"
    ).all()
    assert directive.rules == ("\\u017fl301", "SL901/\\u212aeep", "SL3")
    assert directive.reason == "why"
    assert not rule_matches("SL301", [directive.rules[0]])
    assert not rule_matches("SL901/keep", [directive.rules[1]])
    assert rule_matches("SL301", [directive.rules[2]])  # the ASCII part still works
    assert split_rules(f"{LONG_S}l301") == ("\\u017fl301",)  # the annotation's list too


def test_a_part_that_is_not_ascii_is_unknown_whoever_calls():
    catalog = ["SL301", "SL901"]
    escaped = list(split_rules(f"{LONG_S}l301,SL901/{KELVIN}eep"))
    assert unknown_rule_parts(escaped, catalog, {"keep"}) == escaped
    assert unknown_rule_parts(escaped, catalog, None) == escaped  # SL901/<name> unjudged, but not this
    # a part given as written (not through split_rules) is unknown too
    assert unknown_rule_parts([f"{LONG_S}L301", f"SL901/{KELVIN}EEP"], catalog, {"keep"}) == [
        f"{LONG_S}L301",
        f"SL901/{KELVIN}EEP",
    ]


def test_a_disable_that_is_not_ascii_suppresses_nothing_and_is_sl107(tree):  # noqa: F811
    with_disable(tree, f"{LONG_S}l901/replica-limit")
    _code, out, err = check(tree, "--select", "SL901,SL107")
    assert err == ""
    lines = out.splitlines()
    assert any(" SL901 " in line and "replica-limit" in line for line in lines)  # not suppressed
    (sl107,) = [line for line in lines if " SL107 " in line]
    assert "`\\u017fl901/replica-limit`" in sl107
    with_disable(tree, "sl901/replica-limit")  # the ASCII spelling does suppress it
    _code, out, _err = check(tree, "--select", "SL901,SL107")
    assert not any(" SL901 " in line and "replica-limit" in line for line in out.splitlines())
