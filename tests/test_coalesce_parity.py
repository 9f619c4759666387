"""Coalescing a chart tree (values/coalesce.py) against Helm's SDK.

Each case writes a chart tree to disk (subcharts as folders and as .tgz archives, every chart
rendering `{{ toJson .Values }}`), renders it with `helm_python.Chart.load(dir).render(user)`,
and compares every rendered chart's `.Values` with `coalesce_chart` over the same tree built in
memory: the root's values, and each enabled subchart's values at its path. Which charts render
must agree too (a disabled subchart renders nothing), and so must refusals.
"""

from __future__ import annotations

import json
import random

import pytest

from starter_lint.values.coalesce import CoalesceError, coalesce_chart
from starter_lint.values.layers import get_path

from .chart_specs import chart_node, rendered_values, write_chart
from .support import NEEDS_HELM_SDK
from .test_helm_parity import normalise

helm_python = pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
HelmError = helm_python.errors.HelmError


def helm_result(spec: dict, user: dict, directory) -> tuple:
    write_chart(spec, directory)
    try:
        with helm_python.Chart.load(str(directory)) as loaded:
            rendered = loaded.render(user)
    except HelmError as exc:
        return ("error", str(exc).split(":")[0])
    return ("ok", comparable(rendered_values(rendered, spec["name"])))


def our_result(spec: dict, user: dict) -> tuple:
    try:
        result = coalesce_chart(chart_node(spec), user)
    except CoalesceError:
        return ("error", "type mismatch on")
    return ("ok", comparable({path: get_path(result.values, path) for path in result.enabled}))


def comparable(by_path: dict) -> tuple:
    """The root's `.Values`, and every subchart's by its depth and own name. Not by its full
    path: below an aliased chart Helm names the rendered template after the chart's original
    name (the shallow copy keeps its parent), while its values live under the alias."""
    root = normalise(by_path.get((), {}))
    subs = sorted((len(p), p[-1], json.dumps(normalise(v), sort_keys=True)) for p, v in by_path.items() if p)
    return root, subs


def differs(spec: dict, user: dict, directory) -> str:
    helm, ours = helm_result(spec, user, directory), our_result(spec, user)
    if helm[0] == "error" and helm[1].startswith("type mismatch on") and ours[0] == "error":
        return ""
    if helm == ours:
        return ""
    return f"spec {spec!r}\n  user {user!r}\n  helm {helm!r}\n  ours {ours!r}"


SUB = {
    "name": "sub",
    "values": (
        "port: 1\nkeep: {a: 1, b: 2}\nglobal: {g: sub, only: sub, t: {a: {x: 1}}}\n"
        "exports: {data: {e: 1, shared: sub}}\nnested: {k: v, deep: {d: 1}}\nflag: true\n"
    ),
}
TOP = "global: {g: top, t: {a: {y: 2}}}\nenabled: true\nshared: top\n"


def top(deps, charts=(SUB,), values=TOP):
    return {"name": "top", "values": values, "deps": deps, "charts": list(charts)}


HAND_WRITTEN = [
    # globals both ways: the parent's win, the child's extra ones stay at the child
    (top([{"name": "sub"}]), {}),
    (top([{"name": "sub"}]), {"global": {"g": "user", "t": {"a": {"z": 3}}, "new": 1}}),
    (top([{"name": "sub"}]), {"global": None}),
    (top([{"name": "sub"}]), {"global": 5}),
    (top([{"name": "sub"}]), {"sub": {"global": {"g": "at-sub"}}}),
    # conditions: true, false, missing, non-bool, a table, the first that resolves wins
    (top([{"name": "sub", "condition": "enabled"}]), {}),
    (top([{"name": "sub", "condition": "enabled"}]), {"enabled": False}),
    (top([{"name": "sub", "condition": "missing"}]), {}),
    (top([{"name": "sub", "condition": "enabled"}]), {"enabled": "false"}),
    (top([{"name": "sub", "condition": "enabled"}]), {"enabled": {"x": False}}),
    (top([{"name": "sub", "condition": "sub.flag"}]), {"sub": {"flag": False}}),
    (top([{"name": "sub", "condition": "sub.flag"}]), {}),
    (top([{"name": "sub", "condition": "nope,enabled"}]), {"enabled": False}),
    (top([{"name": "sub", "condition": "enabled,sub.flag"}]), {"enabled": 1, "sub": {"flag": False}}),
    (top([{"name": "sub", "condition": "enabled, sub.flag"}]), {"enabled": "x", "sub": {"flag": False}}),
    # tags; a condition beats tags
    (top([{"name": "sub", "tags": ["t1", "t2"]}]), {"tags": {"t1": False}}),
    (top([{"name": "sub", "tags": ["t1", "t2"]}]), {"tags": {"t1": False, "t2": True}}),
    (top([{"name": "sub", "tags": ["t1"]}]), {"tags": {"t1": "no"}}),
    (top([{"name": "sub", "tags": ["t1"]}]), {"tags": 5}),
    (top([{"name": "sub", "tags": ["t1"], "condition": "enabled"}]), {"tags": {"t1": False}}),
    (
        top([{"name": "sub", "tags": ["t1"], "condition": "enabled"}]),
        {"tags": {"t1": True}, "enabled": False},
    ),
    # import-values, both forms; the parent's own values win; the first import wins
    (top([{"name": "sub", "import_values": ["data"]}]), {}),
    (top([{"name": "sub", "import_values": [("nested", "imp.here")]}]), {}),
    (top([{"name": "sub", "import_values": [("nested", ".")]}]), {}),
    (top([{"name": "sub", "import_values": ["data", ("nested.deep", "shared")]}]), {}),
    (top([{"name": "sub", "import_values": [("port", "p"), "missing"]}]), {}),
    (top([{"name": "sub", "import_values": ["data"]}]), {"sub": {"exports": {"data": {"e": 9}}}}),
    (top([{"name": "sub", "import_values": ["data"]}]), {"e": None}),
    # user nulls against subchart defaults
    (top([{"name": "sub"}]), {"sub": {"port": None, "keep": {"a": None}}}),
    (top([{"name": "sub"}]), {"sub": {"nothere": None}}),
    (top([{"name": "sub"}]), {"sub": None}),
    (top([{"name": "sub"}]), {"sub": "text"}),
    (top([{"name": "sub"}], values=TOP + "sub: {port: 2, keep: {b: null}}\n"), {}),
    (top([{"name": "sub"}], values=TOP + "sub: {port: 2, keep: {b: null}}\n"), {"sub": None}),
    (top([], values=TOP + "sub: {port: 2}\n"), {"sub": None}),
    (
        top([{"name": "sub"}], values=TOP + "sub: {port: 2, keep: {b: null}}\n"),
        {"sub": {"keep": {"a": None}}},
    ),
    # aliases: values under the alias; the same chart twice
    (top([{"name": "sub", "alias": "first"}]), {"first": {"port": 5}}),
    (top([{"name": "sub", "alias": "first"}, {"name": "sub", "alias": "second", "condition": "two"}]), {}),
    (
        top([{"name": "sub", "alias": "first"}, {"name": "sub", "alias": "second", "condition": "two"}]),
        {"two": False, "second": {"port": 3}},
    ),
    # a subchart not listed in Chart.yaml, and no dependencies at all
    (top([], charts=(SUB, {"name": "extra", "values": "x: 1\n"})), {"extra": {"y": 2}}),
    (top([{"name": "sub"}], charts=(SUB, {"name": "extra", "values": "x: 1\n"})), {}),
    (top([{"name": "sub"}], charts=(dict(SUB, archive=True),)), {"sub": {"port": 8}}),
]


def nested(archive: bool) -> dict:
    """Three levels: top -> mid (archive or folder) -> leaf, with a condition, an alias and an
    import at the middle level."""
    leaf = {"name": "leaf", "values": "on: false\nv: 1\nglobal: {leafg: 1}\nexports: {out: {o: 1}}\n"}
    mid = {
        "name": "mid",
        "archive": archive,
        "values": "leaf: {on: true}\nglobal: {midg: 2}\nm: 1\n",
        "deps": [{"name": "leaf", "condition": "leaf.on", "import_values": ["out"]}],
        "charts": [leaf],
    }
    return top([{"name": "mid", "alias": "mm"}], charts=(mid,))


HAND_WRITTEN += [
    (nested(False), {}),
    (nested(True), {}),
    (nested(True), {"mm": {"leaf": {"on": False}}}),
    (nested(False), {"global": {"leafg": 9}, "mm": {"o": None}}),
    (nested(False), {"mm": {"leaf": {"v": None}}}),
]


@pytest.mark.parametrize("case", range(len(HAND_WRITTEN)))
def test_hand_written_trees_coalesce_like_helm(case, tmp_path):
    spec, user = HAND_WRITTEN[case]
    problem = differs(spec, user, tmp_path / "chart")
    assert not problem, problem


# --------------------------------------------------------------------------------------------
# Random trees

KEYS = ["a", "b", "on", "g", "x"]


def random_value(r: random.Random, depth: int):
    roll = r.random()
    if depth > 0 and roll < 0.35:
        return {r.choice(KEYS): random_value(r, depth - 1) for _ in range(r.randrange(1, 3))}
    if roll < 0.5:
        return r.choice([True, False])
    if roll < 0.6:
        return None
    return r.choice([1, 2, "s", "t", [1]])


def random_map(r: random.Random, names: list[str], depth: int = 2) -> dict:
    out = {r.choice(KEYS): random_value(r, depth) for _ in range(r.randrange(0, 4))}
    if r.random() < 0.5:
        out["global"] = {r.choice(KEYS): random_value(r, 1) for _ in range(r.randrange(1, 3))}
    if r.random() < 0.4:
        out["exports"] = {r.choice(KEYS): {r.choice(KEYS): random_value(r, 1)}}
    if r.random() < 0.3:
        out["tags"] = {t: r.choice([True, False, "x"]) for t in r.sample(["t1", "t2"], r.randrange(1, 3))}
    for name in names:  # a subchart's key: mostly a map, sometimes a null or (refused) a scalar
        roll = r.random()
        if roll < 0.4:
            out[name] = random_map(r, [], 1)
        elif roll < 0.46:
            out[name] = None if roll < 0.44 else "s"
    return out


def random_chart(r: random.Random, name: str, depth: int) -> dict:
    names = r.sample(["c1", "c2", "c3"], r.randrange(0, 3)) if depth > 0 else []
    charts = [random_chart(r, n, depth - 1) for n in names]
    for chart in charts:
        chart["archive"] = r.random() < 0.3
    deps = []
    for n in names:
        if r.random() < 0.2:
            continue  # loaded but not listed in Chart.yaml
        dep: dict = {"name": n}
        if r.random() < 0.25:
            dep["alias"] = n + "al"
        if r.random() < 0.5:
            dep["condition"] = ",".join(
                r.sample([f"{dep.get('alias', n)}.on", "on", "a.on", "x"], r.randrange(1, 3))
            )
        if r.random() < 0.4:
            dep["tags"] = r.sample(["t1", "t2"], r.randrange(1, 3))
        if r.random() < 0.4:
            dep["import_values"] = [
                r.choice(KEYS)
                if r.random() < 0.5
                else (r.choice(["exports", "a", "g"]), r.choice([".", "a", "i.j"]))
            ]
        deps.append(dep)
    keys = names + [d["alias"] for d in deps if "alias" in d]
    values = random_map(r, keys)
    text = json_yaml(values) if values or r.random() < 0.7 else None
    return {"name": name, "values": text, "deps": deps, "charts": charts}


def json_yaml(data: dict) -> str:
    import json

    return json.dumps(data) + "\n"  # JSON is YAML, and reads the same in both


def random_user(r: random.Random, spec: dict) -> dict:
    keys = [c["name"] for c in spec["charts"]] + [d["alias"] for d in spec["deps"] if "alias" in d]
    return random_map(r, keys)


def test_random_trees_coalesce_like_helm(tmp_path):
    r = random.Random(11)
    problems, compared = [], 0
    for i in range(300):
        spec = random_chart(r, "top", r.randrange(1, 4))
        user = random_user(r, spec)
        problem = differs(spec, user, tmp_path / f"c{i}")
        compared += 1
        if problem:
            problems.append(problem)
    assert not problems, f"{len(problems)} of {compared} differ:\n" + "\n".join(problems[:3])
