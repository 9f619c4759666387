"""SL705: the chart does not render with the target's values.

The pipeline renders `--chart` with the layered values; when Helm refuses and the values break
the contract, it records why on the context instead of failing the run, and this check reports
it, and an SL100 finding that explains it takes it as its related location (related.py). (Valid
values the chart cannot render are the chart's problem: exit 2, not a finding.)
"""

from __future__ import annotations

from ..findings import Location, Problem
from . import check


@check("SL705", needs="chart")
def chart_render(ctx):
    if not ctx.render_error:
        return
    where = ctx.values.primary_file or ctx.chart.values_path
    yield Problem(
        f"{ctx.render_error}; the chart was not rendered, so no manifest rule ran: fix the values "
        "findings reported for this file, then check again",
        location=Location(where, 1, 1),
        key="render",
    )
