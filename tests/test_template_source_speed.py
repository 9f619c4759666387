"""A chart's template is input (up to 5 MB are loaded): what it writes for a finding's field
(manifests/template_source.py) costs one reading of the template per run and then little per
finding, not a pass over its every line and action per finding. Asserted on how CPU time scales
with the template's size (4x the lines: well under 16x), never on absolute time."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from starter_lint import speedups
from starter_lint.manifests import template_source
from starter_lint.manifests.template_source import field_source


def _fresh() -> None:
    """Forget every template read so far, as in a new run."""
    for value in vars(template_source).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


def _ctx(text: str) -> Any:
    node = SimpleNamespace(name="c", templates={"c/templates/x.yaml": text})
    return SimpleNamespace(chart="c", values=SimpleNamespace(charts=SimpleNamespace(enabled={(): node})))


def _cpu(work, *args) -> float:
    """CPU seconds one call of `work` takes, repeated until the clock can tell (a fast call is
    below its resolution): the least of three measures, with what earlier tests left in this
    process frozen out of the garbage collector's walks (a full collection during one measure
    costs the size of the test process's heap, not of the work: seen failing a whole-suite run)."""
    with speedups.live_objects_frozen():
        return min(_measured(work, *args) for _ in range(3))


def _measured(work, *args) -> float:
    calls, started = 0, time.process_time()
    while True:
        work(*args)
        calls += 1
        spent = time.process_time() - started
        if spent >= 0.05:
            return spent / calls


def _findings(lines: int) -> None:
    """A template of `lines` fields, one finding on every eighth, each asked twice."""
    text = "spec:\n" + "".join(f"  k{i}: {{{{ .Values.a{i} | quote }}}}\n" for i in range(lines))
    ctx = _ctx(text)
    _fresh()
    for _ in range(2):
        for i in range(0, lines, 8):
            source = field_source(ctx, "c/templates/x.yaml", f"/spec/k{i}", "x", None)
            assert source is not None and source.refs == {(f"a{i}",)}


def test_findings_on_a_large_template_cost_linear_cpu():
    small, large = _cpu(_findings, 2_000), _cpu(_findings, 8_000)
    assert large / small < 8, f"2,000 lines: {small:.3f} s, 8,000 lines: {large:.3f} s"


def test_many_fields_at_one_path_tell_nothing_in_linear_cpu():
    def ask(lines: int) -> None:
        # one `image:` key line per container: which one wrote a container's image cannot be told
        text = "spec:\n  containers:\n" + "".join(
            f"    - name: c{i}\n      image: {{{{ .Values.a{i} }}}}\n" for i in range(lines)
        )
        ctx = _ctx(text)
        _fresh()
        for i in range(0, lines, 8):
            source = field_source(ctx, "c/templates/x.yaml", f"/spec/containers/{i}/image", "x", None)
            assert source is not None and not source.refs and not source.literal

    small, large = _cpu(ask, 2_000), _cpu(ask, 8_000)
    assert large / small < 8, f"2,000 lines: {small:.3f} s, 8,000 lines: {large:.3f} s"


def test_a_line_of_unclosed_actions_is_read_in_linear_cpu():
    # an action-only line: every `{{` with no `}}` after it was retried to the line's end
    def read(opens: int) -> None:
        _fresh()
        template_source._layout("spec:\n  {{ x " + "{{" * opens + "\n")

    small, large = _cpu(read, 2_000), _cpu(read, 8_000)
    assert large / small < 8, f"2,000: {small:.4f} s, 8,000: {large:.4f} s"


def test_an_output_action_above_still_decides_with_the_cache():
    # the same path asked of two templates: each answers by its own lines
    plain = "spec:\n  replicas: 1\n"
    _fresh()
    assert field_source(_ctx(plain), "c/templates/x.yaml", "/spec/replicas", 1, None).literal
    included = '{{ include "x" . }}\n' + plain
    assert not field_source(_ctx(included), "c/templates/x.yaml", "/spec/replicas", 1, None).literal
    assert field_source(_ctx(plain), "c/templates/x.yaml", "/spec/replicas", 1, None).literal
