"""The bounds of a chart tree (hostile review of issue 11): charts multiplied by aliases
and values copied by coalescing (values/coalesce.py), Chart.yaml fields of a type Helm cannot decode, import-values paths
(values/chart_metadata.py), and archive members and bytes counted for the whole tree
(values/chart_load.py). Each bound is asserted on its error, never on a time."""

from __future__ import annotations

import copy
import gzip
import io
import json
import tarfile

import pytest
import yaml

from starter_lint.errors import InputError
from starter_lint.textio import MAX_DEPTH
from starter_lint.values import coalesce
from starter_lint.values.chart_load import MAX_ARCHIVE_MEMBERS, MAX_CHARTS
from starter_lint.values.chart_metadata import MAX_IMPORT_PATH_CHARS
from starter_lint.values.coalesce import MAX_COPIED_VALUES

from .support import NEEDS_HELM_SDK, cli
from .test_chart_load import chart_yaml, load, load_from, tgz, write_chart


def aliases(name: str, count: int) -> str:
    """A dependencies list taking the subchart `name` under `count` aliases."""
    entries = "".join(f"- name: {name}\n  version: 0.1.0\n  alias: a{i}\n" for i in range(count))
    return f"dependencies:\n{entries}"


def alias_tower(folder, levels: int, per_level: int) -> None:
    """A chart whose subchart c1 is listed under `per_level` aliases, c1's c2 the same, and so on:
    `levels` folders on disk, per_level ** levels charts to render at the bottom level."""
    path, name = folder / "chart", "app"
    for level in range(1, levels + 2):
        deps = aliases(f"c{level}", per_level) if level <= levels else ""
        write_chart(path, {"Chart.yaml": chart_yaml(name, deps), "values.yaml": "v: [1, 2, 3]\n"})
        name, path = f"c{level}", path / "charts" / f"c{level}"


def test_aliases_multiplying_the_charts_are_refused_before_the_work_grows(tmp_path, monkeypatch):
    """Four folders, ten aliases per level: 1,111 charts after aliasing. Refused with one line
    naming the chart and the limit, after coalescing a few levels only."""
    alias_tower(tmp_path, levels=3, per_level=10)
    calls = []
    real = coalesce.coalesce_values
    monkeypatch.setattr(coalesce, "coalesce_values", lambda *a, **k: calls.append(1) or real(*a, **k))
    node = load_from(tmp_path)[1].tree
    with pytest.raises(coalesce.CoalesceError, match=f"make more than {MAX_CHARTS} charts") as refused:
        coalesce.coalesce_chart(node, {})
    assert "chart 'a" in str(refused.value)
    assert len(calls) <= 25  # about 20 charts coalesced, not 1,111


def test_the_alias_bound_is_one_exit_2_line(tmp_path):
    alias_tower(tmp_path, levels=3, per_level=10)
    done = cli("values", "--chart", "chart", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"more than {MAX_CHARTS} charts" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("count, refused", [(MAX_CHARTS - 1, False), (MAX_CHARTS, True)])
def test_the_bound_is_the_number_of_charts_after_aliasing(tmp_path, count, refused):
    """One subchart on disk under `count` aliases: 1 + count charts, the bound is MAX_CHARTS."""
    write_chart(tmp_path / "chart", {"Chart.yaml": chart_yaml("app", aliases("sub", count))})
    write_chart(tmp_path / "chart/charts/sub", {"Chart.yaml": chart_yaml("sub"), "values.yaml": "x: 1\n"})
    node = load_from(tmp_path)[1].tree
    if refused:
        with pytest.raises(coalesce.CoalesceError, match=f"more than {MAX_CHARTS} charts"):
            coalesce.coalesce_chart(node, {})
    else:
        assert len(coalesce.coalesce_chart(node, {}).enabled) == MAX_CHARTS


def test_subcharts_below_a_chart_without_dependencies_count_in_every_copy(tmp_path):
    """c1 lists no dependencies: its 9 loaded subcharts are kept unexamined, but every alias
    copy of c1 renders them too (30 copies x 10 charts > MAX_CHARTS)."""
    write_chart(tmp_path / "chart", {"Chart.yaml": chart_yaml("app", aliases("c1", 30))})
    below = {f"charts/s{i}/Chart.yaml": chart_yaml(f"s{i}") for i in range(9)}
    write_chart(tmp_path / "chart/charts/c1", {"Chart.yaml": chart_yaml("c1"), **below})
    node = load_from(tmp_path)[1].tree
    with pytest.raises(coalesce.CoalesceError, match=f"more than {MAX_CHARTS} charts"):
        coalesce.coalesce_chart(node, {})


def table(entries: int) -> str:
    """A values table `data` of 5 values per entry (a map, a list and its three numbers)."""
    return "data:\n" + "".join(f"  k{i}: {{a: [1, 2, 3]}}\n" for i in range(entries))


def import_many(folder, entries: int, table_entries: int = 200) -> None:
    """import-values entries each copying the subchart's `data` table under its own key."""
    imports = "".join(f"  - {{child: data, parent: p{i}}}\n" for i in range(entries))
    deps = f"dependencies:\n- name: sub\n  version: 0.1.0\n  import-values:\n{imports}"
    write_chart(folder / "chart", {"Chart.yaml": chart_yaml("app", deps)})
    write_chart(
        folder / "chart/charts/sub", {"Chart.yaml": chart_yaml("sub"), "values.yaml": table(table_entries)}
    )


def copied_by_deepcopy(monkeypatch) -> list[int]:
    """Counts the values copy.deepcopy copies (it calls itself for each one)."""
    copied, real = [0], copy.deepcopy
    monkeypatch.setattr(
        copy, "deepcopy", lambda *a, **k: copied.__setitem__(0, copied[0] + 1) or real(*a, **k)
    )
    return copied


@pytest.mark.parametrize("entries, refused", [(5, False), (60, True)])
def test_import_values_copies_are_bounded(tmp_path, monkeypatch, entries, refused):
    """Each entry copies a 1,000-value table: 5 fit a bound of 20,000 copied values, 60 do not,
    and the refusal comes before the copies are made (Helm has no bound)."""
    monkeypatch.setattr(coalesce, "MAX_COPIED_VALUES", 20_000)
    import_many(tmp_path, entries)
    node = load_from(tmp_path)[1].tree
    copied = copied_by_deepcopy(monkeypatch)
    if refused:
        with pytest.raises(
            coalesce.CoalesceError, match="chart 'app': coalescing the chart tree copies more than 20,000"
        ):
            coalesce.coalesce_chart(node, {})
    else:
        assert len(coalesce.coalesce_chart(node, {}).values) == entries + 1  # p0..., sub
    assert copied[0] <= 20_000


def test_the_import_values_bound_is_one_exit_2_line(tmp_path):
    """The reviewer's case with the real bound: 400 entries each copying a 10,000-value table
    (check took 13 s, `values --format json` 33 s and 822 MB)."""
    import_many(tmp_path, 400, table_entries=2000)
    done = cli("values", "--chart", "chart", "--format", "json", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and f"copies more than {MAX_COPIED_VALUES:,} values" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("global_entries, refused", [(1, False), (200, True)])
def test_globals_handed_to_every_alias_are_bounded(tmp_path, monkeypatch, global_entries, refused):
    """The parent's globals reach each of 100 aliases (their tables shared, walked once per
    chart): a 1,000-value `global` over 100 charts is past a 100,000 bound, a tiny one is not."""
    monkeypatch.setattr(coalesce, "MAX_COPIED_VALUES", 100_000)
    glob = "global:\n" + "".join(f"  g{i}: {{a: [1, 2, 3]}}\n" for i in range(global_entries))
    write_chart(
        tmp_path / "chart", {"Chart.yaml": chart_yaml("app", aliases("sub", 100)), "values.yaml": glob}
    )
    write_chart(tmp_path / "chart/charts/sub", {"Chart.yaml": chart_yaml("sub"), "values.yaml": "x: 1\n"})
    node = load_from(tmp_path)[1].tree
    if refused:
        with pytest.raises(coalesce.CoalesceError, match="copies more than 100,000 values"):
            coalesce.coalesce_chart(node, {})
    else:
        assert len(coalesce.coalesce_chart(node, {}).enabled) == 101


def test_alias_copies_of_a_large_chart_are_bounded(tmp_path, monkeypatch):
    """Each of 100 aliases copies the subchart's 5,000 values at every coalescing pass."""
    monkeypatch.setattr(coalesce, "MAX_COPIED_VALUES", 200_000)
    write_chart(tmp_path / "chart", {"Chart.yaml": chart_yaml("app", aliases("sub", 100))})
    write_chart(tmp_path / "chart/charts/sub", {"Chart.yaml": chart_yaml("sub"), "values.yaml": table(1000)})
    node = load_from(tmp_path)[1].tree
    copied = copied_by_deepcopy(monkeypatch)
    with pytest.raises(
        coalesce.CoalesceError, match=r"chart 'a[0-9]+': coalescing the chart tree copies more"
    ):
        coalesce.coalesce_chart(node, {})
    assert copied[0] <= 200_000


def test_a_large_umbrella_chart_is_well_inside_the_bound(tmp_path, monkeypatch):
    """30 subcharts of 3,000 values each, every one importing, under a 300-value `global`:
    about 600,000 values copied, a fifth of the bound."""
    monkeypatch.setattr(coalesce, "MAX_COPIED_VALUES", MAX_COPIED_VALUES // 4)
    deps = "dependencies:\n" + "".join(
        f"- name: s{i}\n  version: 0.1.0\n  import-values: [{{child: data.k1, parent: i{i}}}]\n"
        for i in range(30)
    )
    glob = "global:\n" + "".join(f"  g{i}: {{a: [1, 2, 3]}}\n" for i in range(60))
    write_chart(tmp_path / "chart", {"Chart.yaml": chart_yaml("app", deps), "values.yaml": glob + table(600)})
    for i in range(30):
        write_chart(
            tmp_path / f"chart/charts/s{i}", {"Chart.yaml": chart_yaml(f"s{i}"), "values.yaml": table(600)}
        )
    result = coalesce.coalesce_chart(load_from(tmp_path)[1].tree, {})
    assert len(result.enabled) == 31 and result.values["i7"] == {"a": [1, 2, 3]}


IMPORT_MAPS = [
    "{child: data}",
    "{parent: p}",
    "{}",
    "{child: data, parent: null}",
    "{child: null, parent: p}",
]


@pytest.mark.parametrize("entry", IMPORT_MAPS)
def test_an_import_values_map_missing_a_side_imports_as_the_sdk_does(tmp_path, entry):
    """Helm formats a missing or null `child` or `parent` with %v: the path "<nil>"."""
    helm = pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    write_typed(tmp_path, f"{DEP}  import-values: [{entry}]\n")
    write_chart(tmp_path / "chart", {"templates/v.yaml": "j: {{ toJson .Values | quote }}\n"})
    with helm.Chart.load(str(tmp_path / "chart")) as loaded:
        rendered = loaded.render({})
    sdk = json.loads(
        yaml.safe_load(next(t for n, t in rendered.items() if n.endswith("templates/v.yaml")))["j"]
    )
    done = cli("values", "--chart", "chart", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert without_empty_globals(json.loads(done.stdout)) == without_empty_globals(sdk)


def without_empty_globals(values):
    if isinstance(values, dict):
        return {k: without_empty_globals(v) for k, v in values.items() if not (k == "global" and v == {})}
    return values


DEP = "dependencies:\n- name: sub\n  version: 0.1.0\n"

# Chart.yaml additions: which the SDK loads and which it refuses is the truth for each
TYPE_CASES = {
    **{f"import-values: {v}": f"{DEP}  import-values: {v}\n" for v in ("5", "true", "false", "data", "''")},
    "import-values: a map": DEP + "  import-values: {child: a, parent: b}\n",
    "import-values: empty map": DEP + "  import-values: {}\n",
    "import-values: null": DEP + "  import-values:\n",
    "import-values: []": DEP + "  import-values: []\n",
    "import-values: [5]": DEP + "  import-values: [5]\n",
    "keywords: 5": "keywords: 5\n",
    "keywords: [5, true]": "keywords: [5, true]\n",
    "keywords: [a map]": "keywords: [{a: 1}]\n",
    "sources: [null]": "sources: [null]\n",
    "sources: [[x]]": "sources: [[x]]\n",
    "maintainers: x": "maintainers: x\n",
    "maintainers: [x]": "maintainers: [x]\n",
    "maintainers: [null]": "maintainers: [null]\n",
    "maintainers: {}": "maintainers: {}\n",
    "maintainers: name a list": "maintainers: [{name: [x]}]\n",
    "maintainers: scalars": "maintainers: [{name: 5, email: true}]\n",
    "annotations: [a]": "annotations: [a]\n",
    "annotations: x": "annotations: x\n",
    "annotations: a list value": "annotations: {a: [1]}\n",
    "annotations: scalar values": "annotations: {a: 1, b: null}\n",
    "deprecated: yes": "deprecated: yes\n",
    "deprecated: 'true'": "deprecated: 'true'\n",
    "deprecated: 1": "deprecated: 1\n",
    "home: [x]": "home: [x]\n",
    "kubeVersion: [x]": "kubeVersion: [x]\n",
    "appVersion: a map": "appVersion: {a: 1}\n",
    "condition: [x]": "condition: [x]\n",
    "tags: [x]": "tags: [x]\n",
    "description: 5": "description: 5\n",
    "unknown field": "extra: {a: [1]}\n",
    "repository: [x]": DEP + "  repository: [x]\n",
    "repository: 5": DEP + "  repository: 5\n",
    "enabled: maybe": DEP + "  enabled: maybe\n",
    "enabled: 1": DEP + "  enabled: 1\n",
    "enabled: null": DEP + "  enabled: null\n",
    "dependency tags: x": DEP + "  tags: x\n",
    "dependency tags: [1, 2]": DEP + "  tags: [1, 2]\n",
    "dependency tags: [[x]]": DEP + "  tags: [[x]]\n",
    "dependency tags: a map": DEP + "  tags: {a: 1}\n",
    "dependency condition: [x]": DEP + "  condition: [x]\n",
    "dependency version: [x]": DEP + "  version: [x]\n",
    "dependencies: [5]": "dependencies: [5]\n",
    "dependencies: x": "dependencies: x\n",
    "dependencies: {}": "dependencies: {}\n",
    "dependencies: ''": "dependencies: ''\n",
}


def write_typed(tmp_path, extra: str):
    write_chart(
        tmp_path / "chart",
        {
            "Chart.yaml": chart_yaml("app") + extra,
            "charts/sub/Chart.yaml": chart_yaml("sub"),
            "charts/sub/values.yaml": "data: {k: 1}\n",
        },
    )


@pytest.mark.parametrize("case", sorted(TYPE_CASES))
def test_chart_yaml_field_types_are_refused_where_the_sdk_refuses(tmp_path, case):
    helm = pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    write_typed(tmp_path, TYPE_CASES[case])
    try:
        with helm.Chart.load(str(tmp_path / "chart")):
            sdk_loads = True
    except helm.HelmError:
        sdk_loads = False
    try:
        load_from(tmp_path)
        ours = True
    except InputError:
        ours = False
    assert ours == sdk_loads


@pytest.mark.parametrize("value", ["5", "true", "data", "{child: data, parent: b}"])
def test_import_values_not_a_list_is_one_exit_2_line(tmp_path, value):
    write_typed(tmp_path, f"{DEP}  import-values: {value}\n")
    done = cli("values", "--chart", "chart", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "import-values must be a list" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "path", ["." * MAX_DEPTH, ".".join(["a"] * 200_000), "a" * (MAX_IMPORT_PATH_CHARS + 1)]
)
@pytest.mark.parametrize("side", ["child", "parent"])
def test_import_values_paths_are_bounded(tmp_path, path, side):
    item = {"child": "data", "parent": "p", side: path}
    write_typed(
        tmp_path, f"{DEP}  import-values:\n  - child: '{item['child']}'\n    parent: '{item['parent']}'\n"
    )
    with pytest.raises(InputError, match="an import-values path longer than"):
        load_from(tmp_path)


def test_an_import_path_just_inside_the_bound_imports(tmp_path):
    parent = ".".join(["p"] * (MAX_DEPTH - 1))
    write_typed(tmp_path, f"{DEP}  import-values:\n  - child: data\n    parent: {parent}\n")
    done = cli("values", "--chart", "chart", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_archive_members_are_bounded_for_the_whole_tree(tmp_path):
    """Two archives of 6,000 members: each within the limit, together above it."""
    half = MAX_ARCHIVE_MEMBERS * 6 // 10
    archives = {
        f"charts/s{n}.tgz": tgz(
            [(f"s{n}/Chart.yaml", chart_yaml(f"s{n}").encode())]
            + [(f"s{n}/files/f{i}", b"") for i in range(half)]
        )
        for n in range(2)
    }
    assert len(load(tmp_path / "one", {"charts/s0.tgz": archives["charts/s0.tgz"]})[1].tree.subcharts) == 1
    with pytest.raises(InputError, match=f"more than {MAX_ARCHIVE_MEMBERS} members in the chart archives"):
        load(tmp_path / "two", archives)


def skipped_data_archive(name: str, mib: int) -> bytes:
    """A chart archive with a member of an unknown type holding `mib` MiB: tarfile reads its data
    to skip it, and Helm's reader would too."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as out:
        chart = chart_yaml(name).encode()
        info = tarfile.TarInfo(f"{name}/Chart.yaml")
        info.size = len(chart)
        out.write(info.tobuf(format=tarfile.GNU_FORMAT) + chart + b"\0" * (512 - len(chart)))
        blob = tarfile.TarInfo(f"{name}/blob")
        blob.type, blob.size = b"Z", mib << 20
        out.write(blob.tobuf(format=tarfile.GNU_FORMAT))
        for _ in range(mib):
            out.write(b"\0" * (1 << 20))
        out.write(b"\0" * 1024)
    return buffer.getvalue()


def test_skipped_member_data_counts_against_the_trees_budget(tmp_path):
    """60 MiB of a non-regular member's data in each of two archives: one loads, two are
    more than the tree's 100 MiB of decompressed archives."""
    archive = skipped_data_archive("s", 60)
    assert len(load(tmp_path / "one", {"charts/s0.tgz": archive})[1].tree.subcharts) == 1
    with pytest.raises(
        InputError, match=r"s1\.tgz: decompressed chart is larger than 100 MiB \(all the archives"
    ):
        load(tmp_path / "two", {"charts/s0.tgz": archive, "charts/s1.tgz": archive})
