"""How big an expression policy/cel.py takes: over CEL's own limit of 100,000 code points
(cel-go's parser limit, which the API server keeps) it is refused with a CelError before any scan
of it, and the scan for calls outside string literals (`code_only`) is linear in the source, so
a policy file full of string literals cannot hold the run for minutes."""

from __future__ import annotations

import time

import pytest

from starter_lint.policy import cel
from starter_lint.policy.cel import MAX_EXPRESSION_LENGTH, CelError, code_only, compile_expression


class Scanned(Exception):
    """Raised by a stand-in for the scan: the expression got past the length check."""


@pytest.fixture
def scan_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: str) -> str:
        raise Scanned(len(source))

    monkeypatch.setattr(cel, "code_only", refuse)


def test_a_megabyte_expression_is_refused_before_any_scan(scan_refused: None) -> None:
    source = "+".join(["'a'"] * 250_000)  # about 1 MB
    with pytest.raises(CelError) as caught:
        compile_expression(source, ("object",))
    assert "999,999 characters long" in caught.value.message
    assert "limit is 100,000" in caught.value.message


def test_the_limit_counts_code_points_and_allows_exactly_the_limit(scan_refused: None) -> None:
    at_limit = "'" + "é" * (MAX_EXPRESSION_LENGTH - 2) + "'"  # 2 bytes each in UTF-8: still allowed
    with pytest.raises(Scanned):
        compile_expression(at_limit, ("object",))
    with pytest.raises(CelError, match="100,001 characters long"):
        compile_expression(at_limit + " ", ("object",))


def _scan_seconds(count: int, literal: str) -> float:
    source = "+".join([literal] * count)
    best = float("inf")
    for _ in range(2):  # the lesser of two: another process on the core only adds time
        started = time.process_time()
        code_only(source)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize("literal", ["'a'", "rb'a'"])  # rb: every literal has a raw prefix to look at
def test_the_scan_is_linear_in_the_number_of_literals(literal: str) -> None:
    # 50 KB and 200 KB of literals: linear is 4 times the work, quadratic 16 times (it took
    # 74 s for 96 KB); CPU time, so a busy machine does not make it fail
    small = _scan_seconds(50_000 // (len(literal) + 1), literal)
    large = _scan_seconds(200_000 // (len(literal) + 1), literal)
    assert large < 1.0
    assert large / max(small, 1e-3) < 8


def test_a_raw_prefix_is_still_seen_right_before_the_quote() -> None:
    # raw: the backslash escapes nothing, so the literal ends at the second quote and the call
    # after it is code; not raw: `\'` is an escaped quote and the call is inside the literal
    raw = r"x + r'\' + y.transformMap(a)"
    plain = r"x + '\' + y.transformMap(a)'"
    assert "y.transformMap(a)" in code_only(raw)
    assert "transformMap" not in code_only(plain)
    # an `r` ending a name (`bar'…'`) or after a dot is no prefix
    assert "transformMap" not in code_only(r"bar'\' + y.transformMap(a)'")
    assert len(code_only(raw)) == len(raw)
