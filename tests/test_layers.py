"""Layering (-f files over the chart's values.yaml, then --set) and provenance (docs/design/values.md)."""

from __future__ import annotations

import pytest

from starter_lint.findings import Location
from starter_lint.values.layers import (
    Layer,
    LayeredValues,
    Origin,
    coalesce,
    get_path,
    has_path,
    layer_values,
    merge_maps,
)
from starter_lint.values.setargs import SetSyntaxError
from starter_lint.yamlio import load_values

CHART = """\
api:
  image: registry/app-api:tag
  replicas: 2
  env:
    LOG_LEVEL: info
    MODE: prod
  ports: [80, 443]
ingress:
  enabled: true
  hosts:
    - host: app.example.com
dropped: null
"""


def base_layer(text=CHART):
    loaded = load_values(text, "chart/values.yaml", chart_defaults=True)
    return Layer("chart/values.yaml", "base", loaded.data, loaded)


def file_layer(name, text):
    loaded = load_values(text, name)
    return Layer(name, "file", loaded.data, loaded)


def layered(*files, sets=()):
    return layer_values(base_layer(), [file_layer(name, text) for name, text in files], list(sets))


# --------------------------------------------------------------------------------------------
# Merging


def test_chart_values_drop_null_keys():
    assert "dropped" not in base_layer().data


def test_files_merge_in_order_maps_merge_lists_replace():
    values = layered(
        ("a.yaml", "api:\n  replicas: 3\n  ports: [8080]\n"),
        ("b.yaml", "api:\n  replicas: 4\n  env:\n    EXTRA: x\n"),
    ).values
    assert values["api"]["replicas"] == 4
    assert values["api"]["ports"] == [8080]  # a list replaces, never merges
    assert values["api"]["env"] == {"LOG_LEVEL": "info", "MODE": "prod", "EXTRA": "x"}
    assert values["api"]["image"] == "registry/app-api:tag"  # untouched chart default
    assert values["ingress"]["hosts"] == [{"host": "app.example.com"}]


def test_null_in_a_user_file_deletes_the_chart_key():
    values = layered(("a.yaml", "api:\n  env:\n    MODE: null\ningress: ~\n")).values
    assert values["api"]["env"] == {"LOG_LEVEL": "info"}
    assert "ingress" not in values


def test_a_later_file_can_restore_what_an_earlier_null_deleted():
    values = layered(
        ("a.yaml", "api:\n  env:\n    MODE: null\n"), ("b.yaml", "api:\n  env:\n    MODE: dev\n")
    ).values
    assert values["api"]["env"]["MODE"] == "dev"


def test_a_later_null_beats_an_earlier_value():
    values = layered(("a.yaml", "api:\n  replicas: 9\n"), ("b.yaml", "api:\n  replicas: null\n")).values
    assert "replicas" not in values["api"]


def test_null_for_a_key_the_chart_lacks_is_kept_as_helm_does():
    assert layered(("a.yaml", "extra: null\napi:\n  new: ~\n")).values["extra"] is None
    assert layered(("a.yaml", "api:\n  new: ~\n")).values["api"]["new"] is None


def test_a_scalar_replaces_a_map_and_a_map_replaces_a_scalar():
    values = layered(("a.yaml", "api:\n  env: none\ningress:\n  enabled:\n    really: true\n")).values
    assert values["api"]["env"] == "none"
    assert values["ingress"]["enabled"] == {"really": True}


def test_layering_does_not_modify_the_layers():
    base, first = base_layer(), file_layer("a.yaml", "api:\n  env:\n    X: 1\n")
    before = (repr(base.data), repr(first.data))
    layer_values(base, [first], [("api.env.Y=2", "set"), ("api.ports[0]=1", "set")])
    assert (repr(base.data), repr(first.data)) == before


def test_merge_maps_and_coalesce_directly():
    assert merge_maps({"a": {"b": 1, "c": 2}}, {"a": {"b": None}, "d": [1]}) == {
        "a": {"b": None, "c": 2},
        "d": [1],
    }
    assert coalesce({"a": {"b": None}, "x": None}, {"a": {"b": 1, "c": 2}, "x": 5}) == {"a": {"c": 2}}


def test_get_path_and_has_path():
    data = {"a": [{"b": None}], "c": {"d": 0}}
    assert get_path(data, ("a", 0, "b"), "missing") is None
    assert has_path(data, ("a", 0, "b")) and not has_path(data, ("a", 1))
    assert get_path(data, ("c", "d")) == 0 and get_path(data, ("c", "x"), 7) == 7
    assert not has_path(data, ("a", "0")) and not has_path(data, ("c", 0))


# --------------------------------------------------------------------------------------------
# --set and --set-string


def test_set_over_files_with_indexes_escapes_and_types():
    values = layered(
        ("a.yaml", "api:\n  replicas: 3\n"),
        sets=[
            ("api.replicas=5", "set"),
            ("api.env.FEATURE=true", "set"),
            ("api.env.VERSION=1.10", "set"),
            ("ingress.hosts[0].host=x.example.org", "set"),
            ("ingress.hosts[1].host=y.example.org", "set"),
            ("annotations.example\\.org/owner=team\\,a", "set"),
            ("api.env.PORT=8080", "set-string"),
            ("api.env.LIST={a,b}", "set"),
        ],
    ).values
    assert values["api"]["replicas"] == 5 and type(values["api"]["replicas"]) is int
    assert values["api"]["env"]["FEATURE"] is True
    assert values["api"]["env"]["VERSION"] == "1.10"  # --set keeps non-integers as text
    assert values["api"]["env"]["PORT"] == "8080"  # --set-string
    assert values["api"]["env"]["LIST"] == ["a", "b"]
    assert values["ingress"]["hosts"] == [{"host": "x.example.org"}, {"host": "y.example.org"}]
    assert values["annotations"] == {"example.org/owner": "team,a"}


def test_set_null_deletes_a_chart_key():
    assert "MODE" not in layered(sets=[("api.env.MODE=null", "set")]).values["api"]["env"]


def test_set_index_over_a_file_list_updates_it_in_place_like_helm():
    values = layered(("a.yaml", "api:\n  ports: [1, 2, 3]\n"), sets=[("api.ports[1]=9", "set")]).values
    assert values["api"]["ports"] == [1, 9, 3]


def test_set_that_contradicts_a_file_type_is_an_error():
    with pytest.raises(SetSyntaxError, match=r"api\.ports"):
        layered(("a.yaml", "api:\n  ports: [1]\n"), sets=[("api.ports.x=1", "set")])


# --------------------------------------------------------------------------------------------
# Provenance: origin and locate


def test_origin_names_the_layer_file_and_line():
    values = layered(
        ("a.yaml", "api:\n  replicas: 3\n"),
        ("b.yaml", "# b\napi:\n  env:\n    X: y\n"),
        sets=[("api.env.Z=1", "set")],
    )
    assert values.origin(("api", "replicas")) == Origin(
        "a.yaml", "file", values.layers[1].loaded.spans[("api", "replicas")]
    )
    assert values.origin(("api", "replicas")).describe() == "a.yaml:2"
    assert values.origin(("api", "env", "X")).describe() == "b.yaml:4"
    assert values.origin(("api", "env", "Z")).describe() == "--set api.env.Z=1"
    assert values.origin(("api", "env", "LOG_LEVEL")).describe() == "chart/values.yaml:5"
    assert values.origin(("api", "env", "NOPE")) is None


def test_origin_of_a_set_string_names_the_flag():
    values = layered(sets=[("a=1,b=2", "set-string")])
    assert values.origin(("b",)).describe() == "--set-string a=1,b=2"


def test_locate_points_at_the_user_line_that_set_the_value():
    values = layered(("a.yaml", "api:\n  replicas: 3\n"), ("b.yaml", "api:\n  replicas: 4\n"))
    assert values.locate(("api", "replicas")) == Location("b.yaml", 2, 13, 2, 14)


def test_locate_falls_back_to_the_nearest_ancestor_key_in_the_user_file():
    values = layered(("a.yaml", "# comment\napi:\n  replicas: 3\n"))
    location = values.locate(("api", "env", "LOG_LEVEL"))  # only the chart sets it
    assert (location.path, location.line, location.col) == ("a.yaml", 2, 1)


def test_locate_falls_back_to_line_one_of_the_user_file():
    values = layered(("a.yaml", "# comment\nweb:\n  replicas: 3\n"))
    location = values.locate(("ingress", "enabled"))
    assert (location.path, location.line, location.col) == ("a.yaml", 1, 1)


def test_locate_prefers_the_last_user_file_for_the_fallback():
    values = layered(("a.yaml", "api:\n  x: 1\n"), ("b.yaml", "web:\n  y: 1\n"))
    assert values.primary_file == "b.yaml"
    assert values.locate(("ingress",)).path == "b.yaml"
    assert values.locate(("api", "image")).path == "a.yaml"  # a.yaml holds the ancestor `api`


def test_locate_without_user_files_points_into_the_chart():
    values = layered()
    assert values.locate(("api", "replicas")) == Location("chart/values.yaml", 3, 13, 3, 14)


def test_locate_for_a_value_set_only_by_set_without_files():
    values = layered(sets=[("api.replicas=7", "set")])
    assert values.locate(("api", "replicas")).path == "--set"


def test_layered_values_accessors():
    values = layered(("a.yaml", "api:\n  replicas: 3\n"))
    assert isinstance(values, LayeredValues)
    assert values.base.kind == "base" and [f.name for f in values.user_files] == ["a.yaml"]
    assert values.get(("api", "replicas")) == 3 and values.get(("nope",), "d") == "d"


def test_locate_points_at_the_layer_that_replaced_a_list_or_deleted_a_map(tmp_path):
    """A finding about a path a higher layer replaced (a list) or deleted (null) points at that
    layer's line, never at the lower file's line that no longer counts."""
    from starter_lint.options import Options
    from starter_lint.pipeline import run

    from .support import REPO

    (tmp_path / "tls.yaml").write_text('ingress:\n  tls:\n    - hosts: ["*.acme-corp.io"]\n')
    (tmp_path / "nores.yaml").write_text("api:\n  resources: null\n")
    prod = str(REPO / "examples" / "values.prod.yaml")
    report = run(Options(files=[prod, str(tmp_path / "tls.yaml")], select=["SL303"], cwd=str(tmp_path)))
    assert [(f.location.path, f.location.line) for f in report.active] == [("tls.yaml", 3)]
    report = run(Options(files=[prod, str(tmp_path / "nores.yaml")], select=["SL504"], cwd=str(tmp_path)))
    assert report.active and {(f.location.path, f.location.line) for f in report.active} == {
        ("nores.yaml", 2)
    }
