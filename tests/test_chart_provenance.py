"""Layering with a chart tree (layer_values(tree=...)) and its provenance: which chart's values.yaml,
which parent's global, which imported table set a value (docs/design/values.md)."""

from __future__ import annotations

import random

import pytest

from starter_lint.errors import InputError
from starter_lint.findings import Location
from starter_lint.tree import leaves
from starter_lint.values.chart_origin import find_source
from starter_lint.values.coalesce import CoalesceError, coalesce_chart
from starter_lint.values.layers import Layer, get_path, layer_values
from starter_lint.values.show import render_values
from starter_lint.yamlio import load_values

from .chart_specs import chart_node
from .test_coalesce_parity import random_chart, random_user

SUB_VALUES = """\
port: 1
global:
  only: sub
  region: sub-region
exports:
  data:
    e: 1
    copied: hunter2-subchart-secret
secrets:
  DB_PASSWORD: hunter2-subchart-secret
"""
TOP_VALUES = """\
global:
  region: eu
name: top
"""
SPEC = {
    "name": "top",
    "values": TOP_VALUES,
    "deps": [{"name": "sub", "import_values": ["data"]}],
    "charts": [{"name": "sub", "values": SUB_VALUES}],
}


def base_of(spec):
    loaded = load_values(spec["values"], "chart/values.yaml", chart_defaults=True)
    return Layer("chart/values.yaml", "base", loaded.data, loaded)


def file_layer(name, text):
    loaded = load_values(text, name)
    return Layer(name, "file", loaded.data, loaded)


def layered(files=(), sets=(), spec=SPEC):
    layers = [file_layer(name, text) for name, text in files]
    return layer_values(base_of(spec), layers, list(sets), tree=chart_node(spec))


def test_values_are_the_trees_coalescing():
    values = layered().values
    assert values["sub"]["port"] == 1
    assert values["sub"]["global"] == {"only": "sub", "region": "eu"}  # the parent's global wins
    assert values["global"] == {"region": "eu"}  # a child's own global stays with the child
    assert values["e"] == 1  # imported from sub.exports.data


def test_a_subchart_default_comes_from_the_subcharts_values_yaml_at_its_line():
    origin = layered().origin(("sub", "port"))
    assert (origin.source, origin.kind, origin.span.line) == ("chart/charts/sub/values.yaml", "base", 1)
    assert origin.describe() == "chart/charts/sub/values.yaml:1"


def test_a_global_copied_down_names_the_parents_global():
    values = layered()
    origin = values.origin(("sub", "global", "region"))
    assert (origin.source, origin.span.line) == ("chart/values.yaml", 2)
    assert origin.describe() == "chart/values.yaml:2 (global.region copied down)"
    assert values.origin(("sub", "global", "only")).describe() == "chart/charts/sub/values.yaml:3"


def test_a_user_global_copied_down_points_at_the_users_line():
    values = layered(files=[("prod.yaml", "name: x\nglobal:\n  region: us\n")])
    origin = values.origin(("sub", "global", "region"))
    assert (origin.source, origin.kind, origin.span.line, origin.note) == (
        "prod.yaml",
        "file",
        3,
        "global.region copied down",
    )
    assert values.locate(("sub", "global", "region")) == Location("prod.yaml", 3, 11, 3, 13)


def test_an_imported_value_names_the_subchart_table_and_its_line():
    origin = layered().origin(("e",))
    assert origin.describe() == "chart/charts/sub/values.yaml:7 (imported from sub.exports.data)"


def test_user_values_under_a_subchart_win_and_a_user_null_deletes_its_default():
    values = layered(files=[("prod.yaml", "sub:\n  port: 2\n  exports: null\n")])
    assert values.origin(("sub", "port")).describe() == "prod.yaml:2"
    assert "exports" not in values.values["sub"]
    assert values.get(("e",)) == 1  # imports read the chart defaults, not the user's values


def test_set_on_a_subchart_value_is_the_set_expression():
    values = layered(sets=[("sub.port=9", "set")])
    assert values.get(("sub", "port")) == 9
    assert values.origin(("sub", "port")).describe() == "--set sub.port=9"


def test_a_finding_without_a_user_file_points_into_the_subcharts_values_yaml():
    values = layered()
    assert values.locate(("sub", "port")) == Location("chart/charts/sub/values.yaml", 1, 7, 1, 8)
    # with a user file, where docs/design/values.md says: the ancestor key the file sets, or line 1
    with_file = layered(files=[("prod.yaml", "sub:\n  other: 1\n")])
    assert with_file.locate(("sub", "port")).path == "prod.yaml"
    assert with_file.locate(("sub", "port")).line == 1


def test_values_provenance_shows_chart_sources_and_hides_subchart_secrets():
    shown = render_values(layered(), provenance=True)
    assert "port: 1  # chart/charts/sub/values.yaml:1" in shown
    assert "region: eu  # chart/values.yaml:2 (global.region copied down)" in shown
    assert "hunter2" not in shown
    assert "hunter2" not in render_values(layered(), fmt="json", provenance=True)


def test_a_non_map_under_a_subcharts_key_is_one_clear_error():
    with pytest.raises(CoalesceError) as raised:
        layered(files=[("prod.yaml", "sub: 5\n")])
    assert isinstance(raised.value, InputError)
    assert "'sub'" in str(raised.value) and "must be a map" in str(raised.value)


def test_a_chart_without_subcharts_layers_exactly_as_without_a_tree():
    r = random.Random(4)
    for _ in range(150):
        spec = random_chart(r, "top", 0)
        spec["values"] = spec["values"] or "{}\n"
        user = Layer("u.yaml", "file", random_user(r, spec))
        plain = layer_values(base_of(spec), [user])
        tree = layer_values(base_of(spec), [user], tree=chart_node(spec))
        assert repr(tree.values) == repr(plain.values)  # same keys, same order
        assert tree.charts is not None and list(tree.charts.enabled) == [()]
        for path, _ in leaves(plain.values, empty_containers=True):
            assert tree.origin(path) == plain.origin(path)


def test_every_value_of_a_random_tree_has_a_source_holding_it():
    r = random.Random(7)
    checked = 0
    for _ in range(200):
        spec = random_chart(r, "top", r.randrange(1, 4))
        user = Layer("u.yaml", "file", random_user(r, spec))
        try:
            charts = coalesce_chart(chart_node(spec), user.data)
        except CoalesceError:
            continue
        for path, value in leaves(charts.values, empty_containers=True):
            source = find_source(path, value, [user], charts)
            if source is None:  # only a table Helm made itself: `global: {}`, `<subchart>: {}`
                assert value == {} and (path[-1] == "global" or path in charts.enabled), path
                continue
            data = user.data if source.layer is not None else source.loaded.data
            held = get_path(data, source.path)
            if isinstance(value, dict):  # an empty table: its nulls may have been cleaned out
                assert isinstance(held, dict), (path, source)
            else:
                assert held == value and isinstance(held, bool) == isinstance(value, bool), (path, source)
            checked += 1
    assert checked > 1000
