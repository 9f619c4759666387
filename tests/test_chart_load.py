"""Loading a chart with its subcharts (values/chart_load.py): folders, archives, aliases, depth,
every archive attack, malformed Chart.yaml; and the same trees loaded by Helm's SDK."""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import tarfile
from pathlib import Path

import pytest

from starter_lint.errors import InputError
from starter_lint.values.chart_load import (
    MAX_ARCHIVE_FILE_BYTES,
    MAX_ARCHIVE_MEMBERS,
    MAX_CHART_DEPTH,
    MAX_CHARTS,
)
from starter_lint.values.chart_tree import Dependency
from starter_lint.values.load import base_layer

from .support import NEEDS_HELM_SDK, REPO, cli


def chart_yaml(name: str, dependencies: str = "") -> str:
    return f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{dependencies}"


def write_chart(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def tgz(members: list[tuple[str, bytes | tarfile.TarInfo]]) -> bytes:
    """A gzipped tar of (name, bytes) regular files, or TarInfo entries as given (links, devices)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members:
            if isinstance(content, tarfile.TarInfo):
                tar.addfile(content)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def chart_archive(name: str, files: dict[str, str], top: str | None = None) -> bytes:
    members = {"Chart.yaml": chart_yaml(name), **files}
    return tgz([(f"{top or name}/{path}", text.encode()) for path, text in members.items()])


def load_from(folder: Path):
    """base_layer on `folder`/chart, run from `folder` (--chart is relative to the working directory)."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        return base_layer("chart", folder)
    finally:
        os.chdir(old)


def load(tmp_path: Path, files: dict[str, str | bytes]):
    write_chart(tmp_path / "chart", {"Chart.yaml": chart_yaml("app"), **files})
    return load_from(tmp_path)


def test_folder_and_archive_subcharts_with_aliases(tmp_path):
    deps = (
        "dependencies:\n"
        "  - name: redis\n    version: ~1.2\n    alias: cache\n    condition: cache.enabled\n"
        "    tags: [store, 5]\n"
        "    import-values:\n      - data\n      - child: a.b\n        parent: c\n      - 7\n"
        "  - name: db\n    version: 1\n"
    )
    archive = chart_archive("db", {"values.yaml": "port: 5432\n", "templates/s.yaml": "{{ .Values.port }}"})
    _, info, problems = load(
        tmp_path,
        {
            "Chart.yaml": chart_yaml("app", deps),
            "values.yaml": "replicas: 1\n",
            "templates/d.yaml": "{{ .Values.replicas }}",
            "charts/redis/Chart.yaml": chart_yaml("redis"),
            "charts/redis/values.yaml": "auth:\n  password: ''\n",
            "charts/db-1.0.0.tgz": archive,
            "charts/.gitkeep": "",
            "charts/db-1.0.0.tgz.prov": "signature",
        },
    )
    assert problems == []
    tree = info.tree
    assert tree.name == "app" and tree.defaults == {"replicas": 1}
    assert tree.dependencies == [
        Dependency("redis", "cache", "cache.enabled", ("store", "5"), ("data", ("a.b", "c")), "~1.2"),
        Dependency("db", version="1"),
    ]
    assert [sub.name for sub in tree.subcharts] == ["db", "redis"]  # by name in charts/
    db, redis = tree.subcharts
    assert db.directory == "chart/charts/db-1.0.0.tgz"
    assert db.values_path == "chart/charts/db-1.0.0.tgz!db/values.yaml"
    assert db.defaults == {"port": 5432}
    assert db.templates == {"chart/charts/db-1.0.0.tgz!db/templates/s.yaml": "{{ .Values.port }}"}
    assert redis.values_path == "chart/charts/redis/values.yaml" and redis.defaults == {
        "auth": {"password": ""}
    }
    assert list(info.templates) == ["chart/templates/d.yaml"]  # the chart's own, as before


def test_nested_three_levels_folder_archive_folder(tmp_path):
    inner = tgz(
        [
            ("mid/Chart.yaml", chart_yaml("mid").encode()),
            ("mid/values.yaml", b"m: 1\n"),
            ("mid/charts/leaf/Chart.yaml", chart_yaml("leaf").encode()),
            ("mid/charts/leaf/values.yaml", b"l: 2\n"),
        ]
    )
    _, info, _ = load(
        tmp_path, {"charts/top/Chart.yaml": chart_yaml("top"), "charts/top/charts/mid-1.tgz": inner}
    )
    top = info.tree.subcharts[0]
    mid = top.subcharts[0]
    leaf = mid.subcharts[0]
    assert (top.name, mid.name, leaf.name) == ("top", "mid", "leaf")
    assert leaf.defaults == {"l": 2}
    assert leaf.values_path == "chart/charts/top/charts/mid-1.tgz!mid/charts/leaf/values.yaml"
    assert (top.directory, mid.directory, leaf.directory) == (
        "chart/charts/top",
        "chart/charts/top/charts/mid-1.tgz",
        "chart/charts/top/charts/mid-1.tgz!mid/charts/leaf",
    )
    assert top.values_path == "chart/charts/top/values.yaml"  # absent: where it would be


def test_values_keep_their_nulls_for_coalescing_and_the_base_layer_drops_them(tmp_path):
    layer, info, _ = load(
        tmp_path,
        {
            "values.yaml": "a: ~\nb: 1\n---\nc: 2\n",
            "charts/sub/Chart.yaml": chart_yaml("sub"),
            "charts/sub/values.yaml": "x: null\n",
        },
    )
    assert info.tree.defaults == {"a": None, "b": 1, "c": 2}  # every document, as Helm's loader
    assert info.tree.subcharts[0].defaults == {"x": None}
    assert layer.data == {"b": 1, "c": 2} and layer.loaded.key_spans[("a",)].line == 1


def test_missing_values_yaml_and_bad_subchart_values_are_sl102(tmp_path):
    layer, info, problems = load(
        tmp_path,
        {
            "charts/a/Chart.yaml": chart_yaml("a"),
            "charts/b.tgz": chart_archive("b", {"values.yaml": "x: [1\n"}),
        },
    )
    assert layer.data == {} and info.tree.values is None
    a, b = info.tree.subcharts
    assert a.values is None and a.defaults == {} and b.values is None
    [(rule, problem)] = problems
    assert rule == "SL102" and problem.location.path == "chart/charts/b.tgz!b/values.yaml"
    assert problem.location.line == 2


@pytest.mark.parametrize(
    "files, message",
    [
        ({"Chart.yaml": "name: [\n"}, "cannot load Chart.yaml"),
        ({"Chart.yaml": "apiVersion: v2\nversion: 1.0.0\n"}, "chart.metadata.name is required"),
        ({"Chart.yaml": "apiVersion: v2\nname: app\n"}, "chart.metadata.version is required"),
        ({"Chart.yaml": "apiVersion: v2\nname: [a]\nversion: 1.0.0\n"}, "name must be a string"),
        ({"Chart.yaml": chart_yaml("app", "dependencies: {a: 1}\n")}, "dependencies must be a list"),
        ({"Chart.yaml": chart_yaml("app", "dependencies: [~]\n")}, "empty or null nodes"),
        ({"Chart.yaml": chart_yaml("app", "dependencies:\n- {name: a, alias: 'a b'}\n")}, "alias"),
        (
            {"Chart.yaml": chart_yaml("app", "dependencies:\n- {name: a}\n- {name: a}\n")},
            "more than one dependency",
        ),
        ({"charts/sub/Chart.yaml": "name: {\n"}, "chart/charts/sub/Chart.yaml"),
        ({"charts/sub/values.yaml": "a: 1\n"}, "charts/sub: Chart.yaml file is missing"),
        ({"charts/README.md": "stray file"}, "Chart.yaml file is missing"),
    ],
)
def test_charts_helm_refuses_are_one_input_error(tmp_path, files, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        load(tmp_path, files)


def _symlink(name: str, kind: bytes = tarfile.SYMTYPE, target: str = "/etc/passwd") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


GOOD = [("sub/Chart.yaml", chart_yaml("sub").encode())]
# members within Helm's 5 MiB file limit that do not compress: the archive is above it
BIG_ARCHIVE = tgz(GOOD + [(f"sub/files/noise{i}", random.Random(i).randbytes(3 << 20)) for i in range(2)])

ATTACKS = {
    "absolute": GOOD + [("sub//etc/x", b"x")],
    "parent": GOOD + [("sub/../../x", b"x")],
    "outside": [("Chart.yaml", chart_yaml("sub").encode())],
    "drive": GOOD + [("sub/c:/x", b"x")],
    "top-level file": GOOD + [("x", b"x")],
    "empty": [],
    "too large a file": GOOD + [("sub/big.txt", b"\0" * (MAX_ARCHIVE_FILE_BYTES + 1))],
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_archive_attacks_are_refused(tmp_path, attack):
    with pytest.raises(InputError, match=r"chart/charts/sub.tgz"):
        load(tmp_path, {"charts/sub.tgz": tgz(ATTACKS[attack])})


# ids given: a gzip header holds its time, so the bytes differ between the two test processes
@pytest.mark.parametrize(
    "raw",
    [b"not gzip", b"\x1f\x8b\x08\x00garbage", gzip.compress(b"not a tar" * 100, mtime=0)],
    ids=["not gzip", "gzip header then garbage", "gzip of no tar"],
)
def test_corrupt_archives_are_one_input_error(tmp_path, raw):
    with pytest.raises(InputError, match=r"chart/charts/sub\.tgz: not a"):
        load(tmp_path, {"charts/sub.tgz": raw})


def test_gzip_bomb_stops_early(tmp_path):
    """A member claiming 200 MiB is refused from its header; a stream of zeros past the budget
    is cut off after reading the budget, not decompressed to the end."""
    header = tarfile.TarInfo("sub/bomb")
    header.size = 200 * 1024 * 1024
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1) as out:
        out.write(header.tobuf())
        for _ in range(200):
            out.write(b"\0" * (1024 * 1024))
    with pytest.raises(InputError, match="larger than"):
        load(tmp_path, {"charts/sub.tgz": buffer.getvalue()})


def test_a_huge_pax_header_is_cut_off_at_the_budget(tmp_path):
    """tarfile reads a pax header whole: the decompressed stream stops at the budget instead."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = 200 * 1024 * 1024
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1) as out:
        out.write(header.tobuf(format=tarfile.USTAR_FORMAT))
        for _ in range(110):
            out.write(b"\0" * (1024 * 1024))
    with pytest.raises(InputError, match="decompressed chart is larger than 100 MiB"):
        load(tmp_path, {"charts/sub.tgz": buffer.getvalue()})


def test_an_archive_file_above_helms_file_limit_is_refused(tmp_path):
    """Helm's folder loader refuses any file above 5 MiB, a subchart archive included."""
    archive = BIG_ARCHIVE
    assert len(archive) > MAX_ARCHIVE_FILE_BYTES
    with pytest.raises(InputError, match="larger than the 5 MiB a chart file may have"):
        load(tmp_path, {"charts/sub.tgz": archive})


def test_the_members_of_an_archive_are_bounded(tmp_path):
    members = GOOD + [(f"sub/files/f{i}", b"") for i in range(MAX_ARCHIVE_MEMBERS)]
    with pytest.raises(InputError, match=f"more than {MAX_ARCHIVE_MEMBERS} members"):
        load(tmp_path, {"charts/sub.tgz": tgz(members)})


def test_link_and_device_members_are_empty_files_never_followed(tmp_path):
    device = tarfile.TarInfo("sub/templates/dev.yaml")
    device.type = tarfile.CHRTYPE
    members = GOOD + [
        ("sub/values.yaml", _symlink("sub/values.yaml")),
        ("sub/templates/a.yaml", _symlink("sub/templates/a.yaml", tarfile.LNKTYPE, "sub/Chart.yaml")),
        ("dev", device),
    ]
    _, info, problems = load(tmp_path, {"charts/sub.tgz": tgz(members)})
    sub = info.tree.subcharts[0]
    assert problems == [] and sub.defaults == {}
    assert set(sub.templates.values()) == {""}


def test_depth_is_bounded(tmp_path):
    files: dict[str, str | bytes] = {}
    prefix = ""
    for level in range(MAX_CHART_DEPTH + 1):
        prefix += f"charts/c{level}/"
        files[prefix + "Chart.yaml"] = chart_yaml(f"c{level}")
    with pytest.raises(InputError, match="nested more than"):
        load(tmp_path, files)
    del files[prefix + "Chart.yaml"]  # exactly MAX_CHART_DEPTH levels load
    assert load(tmp_path / "ok", files)[1].tree is not None


def test_the_number_of_charts_is_bounded(tmp_path):
    files: dict[str, str | bytes] = {
        f"charts/c{i}/Chart.yaml": chart_yaml(f"c{i}") for i in range(MAX_CHARTS)
    }
    with pytest.raises(InputError, match=f"more than {MAX_CHARTS} charts"):
        load(tmp_path, files)
    del files["charts/c0/Chart.yaml"]
    assert len(load(tmp_path / "ok", files)[1].tree.subcharts) == MAX_CHARTS - 1


def test_folder_subchart_symlink_out_of_the_repository_is_refused(tmp_path):
    (tmp_path / ".git").mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    write_chart(outside, {"Chart.yaml": chart_yaml("x")})
    write_chart(tmp_path / "chart", {"Chart.yaml": chart_yaml("app")})
    (tmp_path / "chart" / "charts").mkdir()
    os.symlink(outside, tmp_path / "chart" / "charts" / "x")
    with pytest.raises(InputError, match="outside the repository"):
        load_from(tmp_path)


# ---------------------------------------------------------------------------------------------
# The same trees through Helm's SDK: it loads the same charts, and refuses the same archives.


def _sdk_tree(chart):
    """The chart's name and its loaded subcharts' (the SDK shows one level: their metadata)."""
    return (chart.name, sorted(sub["name"] for sub in chart.dependencies))


def _our_tree(node):
    return (node.name, sorted(sub.name for sub in node.subcharts))


SDK_CASES = {
    "folder and archive": {
        "charts/redis/Chart.yaml": chart_yaml("redis"),
        "charts/db-1.tgz": chart_archive("db", {"values.yaml": "a: 1\n"}),
        "charts/_skipped/Chart.yaml": chart_yaml("skipped"),
    },
    "archive with another top folder": {"charts/x.tgz": chart_archive("db", {}, top="whatever")},
    "nested": {
        "charts/a/Chart.yaml": chart_yaml("a"),
        "charts/a/charts/b.tgz": tgz(
            [("b/Chart.yaml", chart_yaml("b").encode()), ("b/charts/c/Chart.yaml", chart_yaml("c").encode())]
        ),
    },
    "symlink member": {"charts/sub.tgz": tgz(GOOD + [("sub/values.yaml", _symlink("sub/values.yaml"))])},
    **{f"attack: {name}": {"charts/sub.tgz": tgz(members)} for name, members in ATTACKS.items()},
    "not gzip": {"charts/sub.tgz": b"not gzip"},
    "archive above 5 MiB": {"charts/sub.tgz": BIG_ARCHIVE},
    "attack two levels down": {
        "charts/a/Chart.yaml": chart_yaml("a"),
        "charts/a/charts/sub.tgz": tgz(ATTACKS["parent"]),
    },
    "malformed Chart.yaml in an archive": {"charts/sub.tgz": tgz([("sub/Chart.yaml", b"name: [\n")])},
    "stray file": {"charts/README.md": "x"},
    "no Chart.yaml in a subchart": {"charts/sub/values.yaml": "a: 1\n"},
    "no name": {"charts/sub/Chart.yaml": "apiVersion: v2\nversion: 1.0.0\n"},
    "numbers and booleans as text": {
        "charts/7/Chart.yaml": "apiVersion: v2\nname: 7\nversion: 1.0\n",
        "charts/true/Chart.yaml": "apiVersion: v2\nname: true\nversion: 1\n",
    },
    "a list as a name": {"charts/sub/Chart.yaml": "apiVersion: v2\nname: [a]\nversion: 1.0.0\n"},
    "a bad type": {"charts/sub/Chart.yaml": chart_yaml("sub") + "type: 5\n"},
    "a folder named .tgz": {"charts/sub.tgz/Chart.yaml": chart_yaml("sub")},
}


@pytest.mark.parametrize("case", sorted(SDK_CASES))
def test_sdk_loads_and_refuses_the_same_trees(tmp_path, case):
    helm = pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    files = {"Chart.yaml": chart_yaml("app"), **SDK_CASES[case]}
    write_chart(tmp_path / "chart", files)
    try:
        with helm.Chart.load(str(tmp_path / "chart")) as chart:
            expected = _sdk_tree(chart)
    except helm.HelmError:
        expected = None
    try:
        ours = _our_tree(load_from(tmp_path)[1].tree)
    except InputError:
        ours = None
    assert ours == expected


def test_a_chart_with_folder_and_archive_subcharts_renders(tmp_path):
    """Confinement and loading accept what Helm renders: the subcharts' objects come out."""
    pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    from starter_lint import render
    from starter_lint.options import Options
    from starter_lint.pipeline import build_context, plan_targets

    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {{{{ .Values.v | quote }}}}\n"
    write_chart(
        tmp_path / "chart",
        {
            "Chart.yaml": chart_yaml("app"),
            "values.yaml": "v: from-chart\n",
            "templates/cm.yaml": config_map.format(name="app"),
            "charts/folder/Chart.yaml": chart_yaml("folder"),
            "charts/folder/values.yaml": "v: from-folder\n",
            "charts/folder/templates/cm.yaml": config_map.format(name="folder"),
            "charts/packed-1.0.0.tgz": chart_archive(
                "packed",
                {"values.yaml": "v: from-archive\n", "templates/cm.yaml": config_map.format(name="packed")},
            ),
        },
    )
    (tmp_path / ".git").mkdir()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        options = Options(chart="chart", cwd=str(tmp_path))
        ctx, problems = build_context(plan_targets(options)[0], options)
        assert problems == [] and [sub.name for sub in ctx.chart.tree.subcharts] == ["folder", "packed"]
        manifests = render.render_chart("chart", ctx, options)
    finally:
        os.chdir(old)
    assert {o.name: o.get("data", "v") for o in manifests.objects} == {
        "app": "from-chart",
        "folder": "from-folder",
        "packed": "from-archive",
    }


def _random_tree(rng: random.Random, folder: Path, depth: int) -> None:
    """A chart folder with 0-3 subcharts, each a folder or an archive (or a hostile one), nested."""
    write_chart(folder, {"Chart.yaml": chart_yaml(folder.name if folder.name != "chart" else "app")})
    for i in range(rng.randint(0, 3 if depth < 3 else 0)):
        kind = rng.choice(["folder", "folder", "archive", "archive", "skipped", "hostile"])
        name = f"s{depth}{i}"
        if kind == "folder":
            _random_tree(rng, folder / "charts" / name, depth + 1)
        elif kind == "skipped":
            write_chart(folder / "charts" / f"_{name}", {"Chart.yaml": "not: [a chart"})
        else:
            members = [(f"{name}/Chart.yaml", chart_yaml(name).encode())]
            members += [
                (f"{name}/charts/n{j}/Chart.yaml", chart_yaml(f"n{j}").encode())
                for j in range(rng.randint(0, 2))
            ]
            if kind == "hostile":
                members.append(rng.choice(ATTACKS["parent"][1:] + ATTACKS["absolute"][1:] + [("x", b"")]))
            write_chart(folder / "charts", {f"{name}-1.0.0.tgz": tgz(members)})


def _sdk_shape(helm, path: Path):
    """(name, sorted subchart names) by the SDK, and the same for each folder subchart below."""
    with helm.Chart.load(str(path)) as chart:
        shape = [(str(path), chart.name, sorted(sub["name"] for sub in chart.dependencies))]
    charts = path / "charts"
    for sub in sorted(charts.iterdir()) if charts.is_dir() else []:
        if sub.is_dir() and sub.name[0] not in "_.":
            shape += _sdk_shape(helm, sub)
    return shape


def _our_shape(node, path: Path):
    shape = [(str(path), node.name, sorted(sub.name for sub in node.subcharts))]
    for sub in node.subcharts:
        if not sub.directory.endswith(".tgz"):
            shape += _our_shape(sub, path / "charts" / sub.directory.rsplit("/", 1)[-1])
    return shape


@pytest.mark.parametrize("seed", range(25))
def test_random_trees_load_as_the_sdk_loads_them(tmp_path, seed):
    helm = pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    _random_tree(random.Random(seed), tmp_path / "chart", 0)
    try:
        expected = sorted(_sdk_shape(helm, tmp_path / "chart"))
    except helm.HelmError:
        expected = None
    try:
        ours = sorted(_our_shape(load_from(tmp_path)[1].tree, tmp_path / "chart"))
    except InputError:
        ours = None
    assert ours == expected


@pytest.mark.parametrize(
    "args",
    [
        ["values", "--provenance"],
        ["values", "--format", "json", "--provenance"],
        *(["check", "--manifests", "m.yaml", "--format", fmt] for fmt in ("text", "json", "sarif", "github")),
    ],
)
def test_a_secret_in_an_archived_subcharts_values_shows_nowhere(tmp_path, args):
    from .support import run_in_process

    sub_values = "secrets:\n  DB_PASSWORD: hunter2-archived-secret\nport: 1\n"
    files: dict[str, str | bytes] = {
        "Chart.yaml": chart_yaml("app"),
        "charts/sub-1.tgz": chart_archive("sub", {"values.yaml": sub_values}),
    }
    if args[0] == "check":  # (the values command stops at a values.yaml that does not load)
        bad = "password: hunter2-archived-secret\nx: [\n"
        files["charts/bad-1.tgz"] = chart_archive("bad", {"values.yaml": bad})
    write_chart(tmp_path / "chart", files)
    (tmp_path / "m.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    (tmp_path / "v.yaml").write_text("sub:\n  port: 2\n")
    code, out, err = run_in_process([*args, "-f", "v.yaml", "--chart", "chart"], tmp_path)
    assert "hunter2" not in out + err
    if args[0] == "check":
        assert code == 1 and "bad-1.tgz!bad/values.yaml" in out  # its SL102 finding, no secret
    else:
        assert code == 0 and "DB_PASSWORD" in out and "sub-1.tgz!sub/values.yaml" in out, err


@pytest.mark.parametrize("broken", ["values.yaml", "charts/sub/values.yaml"])
def test_a_chart_values_file_helm_cannot_read_is_the_one_finding(tmp_path, broken):
    # Helm refuses to load such a chart: no render (which would die with exit 2) and no rule run
    # on the defaults that are left (SL305 "not set" …): the SL102 at its line says it all
    chart = tmp_path / "chart"
    shutil.copytree(REPO / "examples" / "chart", chart)
    (chart / "charts" / "sub").mkdir(parents=True)
    (chart / "charts" / "sub" / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    with open(chart / broken, "a", encoding="utf-8") as out:
        out.write("broken: [unclosed\n")
    done = cli("check", "-f", str(REPO / "examples" / "values.prod.yaml"), "--chart", "chart", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stdout.splitlines() if " SL" in line]
    assert len(lines) == 1 and "SL102" in lines[0] and lines[0].startswith(f"chart/{broken}:"), done.stdout


@pytest.mark.parametrize("broken", ["chart/values.yaml", "v.yaml"])
def test_chart_rules_skip_a_target_whose_values_failed(tmp_path, broken):
    # with every check module loaded (an earlier target of the same run loaded the values
    # checks), a target whose values did not load runs no chart rule (SL106, SL705 read them)
    from starter_lint.checks import load_checks

    from .support import run_in_process

    load_checks({"values", "manifests"})
    write_chart(tmp_path / "chart", {"Chart.yaml": chart_yaml("app"), "values.yaml": "a: 1\n"})
    (tmp_path / "m.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    (tmp_path / "v.yaml").write_text("a: 2\n")
    (tmp_path / broken).write_text("x: [\n")
    code, out, err = run_in_process(
        ["check", "--manifests", "m.yaml", "-f", "v.yaml", "--chart", "chart"], tmp_path
    )
    assert code == 1 and "SL102" in out and "internal error" not in err, err
