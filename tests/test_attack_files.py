"""Issue 15, files and code: a stranger's pull request controls every file of the repository.

Each test is an attack: the report must not replace an input, a device, a FIFO or a symlink;
no code from the repository runs (marker files that would-be code creates never appear); a
config above the repository is never read; a symlink never carries an outside file's content
into any output; control files are read with a size limit. After every run the inputs are
hash-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from starter_lint.option_table import FORMATS

from .support import REPO, cli, widget_crd

OUTSIDE_MARKER = "OUTSIDE-MARKER-7f3a9c"
VALUES = "api:\n  replicas: 2\n"
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  key: value\n"
# an outside file the tool would print if it read it: a YAML error on the marker's line
OUTSIDE_FILE = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: [{OUTSIDE_MARKER}\n"
CRD = widget_crd("{type: object}")


def snapshot(root: Path) -> dict:
    """Every entry under `root` (symlinks not followed): what it is and what it holds."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                out[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                out[str(path)] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
            elif not stat.S_ISDIR(mode):
                out[str(path)] = ("special", stat.S_IFMT(mode))
    return out


@pytest.fixture()
def repo(tmp_path):
    """A repository (with `.git`) beside a folder outside it holding the marker."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "values.yaml").write_text(VALUES)
    (root / "rendered").mkdir()
    (root / "rendered" / "a.yaml").write_text(MANIFEST)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(OUTSIDE_FILE)
    (outside / "crd.yaml").write_text(CRD.replace("widgets.example.com", OUTSIDE_MARKER.lower() + ".x"))
    return root


def outputs(done) -> str:
    return done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# --output and config output:


def test_output_inside_an_input_folder_is_refused(repo):
    (repo / "crds").mkdir()
    (repo / "crds" / "widget.yaml").write_text(CRD)
    (repo / "policies").mkdir()
    (repo / "chart" / "templates").mkdir(parents=True)
    (repo / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: starter\nversion: 0.1.0\n")
    (repo / "link-to-rendered").symlink_to("rendered")
    (repo / "base.json").write_text('{"findings": []}\n')
    (repo / "cfg.yaml").write_text("rule-dirs: [policies/]\n")
    before = snapshot(repo)
    cases = [
        (["--manifests", "rendered/"], "rendered/a.yaml"),  # an input file below an input folder
        (["--manifests", "rendered/"], "rendered/new.yaml"),  # a new file in an input folder
        (["--manifests", "rendered/"], "link-to-rendered/x.yaml"),  # through a symlinked folder
        (["--manifests", "rendered/a.yaml"], "link-to-rendered/a.yaml"),
        (["--manifests", "rendered/", "--crd", "crds/"], "crds/new.json"),
        (["values.yaml", "--config", "cfg.yaml"], "policies/report.txt"),
        (["values.yaml", "--config", "cfg.yaml"], "cfg.yaml"),
        (["values.yaml", "--baseline", "base.json"], "base.json"),
        (["values.yaml", "--chart", "chart"], "chart/templates/report.yaml"),
    ]
    for args, output in cases:
        for command in ("check", "baseline"):
            if command == "baseline" and output == "base.json":
                continue  # `baseline` reads no baseline: refreshing the file in place is its job
            done = cli(command, *args, "--output", output, cwd=repo)
            assert done.returncode == 2, (command, args, output, outputs(done))
            assert "write the report elsewhere" in done.stderr and "Traceback" not in done.stderr
            assert snapshot(repo) == before, (command, args, output)


def test_output_never_replaces_a_fifo_a_symlink_or_a_device(repo, tmp_path):
    fifo = repo / "report.fifo"
    os.mkfifo(fifo)
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    link = repo / "report.link"
    link.symlink_to(target)
    dangling = repo / "dangling.link"
    dangling.symlink_to(tmp_path / "nothing-here.txt")
    before = snapshot(repo)
    for output, why in ((fifo, "not a regular file"), (link, "is a symlink"), (dangling, "is a symlink")):
        for fmt in ("text", "sarif"):
            done = cli("check", "values.yaml", "--format", fmt, "--output", output.name, cwd=repo)
            assert done.returncode == 2 and why in done.stderr, outputs(done)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert link.is_symlink() and target.read_text() == "keep me\n"
    assert dangling.is_symlink() and not (tmp_path / "nothing-here.txt").exists()
    assert snapshot(repo) == before
    # a character device, where the system has one to look at (never written: refused first)
    if os.path.exists("/dev/null"):
        done = cli("check", "values.yaml", "--output", "/dev/null", cwd=repo)
        assert done.returncode == 2 and "not a regular file" in done.stderr
        assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_an_ordinary_output_file_is_still_written_and_replaced(repo):
    (repo / "report.json").write_text("old\n")
    done = cli("check", "values.yaml", "--format", "json", "--output", "report.json", cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    assert json.loads((repo / "report.json").read_text())["targets"]
    done = cli(
        "check", "--manifests", "rendered/", "--validator", "builtin", "--output", "out/report.txt", cwd=repo
    )
    assert done.returncode == 2 and "cannot write" in done.stderr  # no such folder: one clear line
    (repo / "out").mkdir()
    done = cli(
        "check", "--manifests", "rendered/", "--validator", "builtin", "--output", "out/report.txt", cwd=repo
    )
    assert done.returncode in (0, 1) and (repo / "out" / "report.txt").is_file(), done.stderr


def test_config_output_outside_the_repository_is_refused(repo, tmp_path):
    (repo / "escape").symlink_to(tmp_path / "outside")
    for output in (
        "../report.txt",
        str(tmp_path / "report.txt"),
        "escape/report.txt",
        "~/starter-lint-report.txt",
    ):
        (repo / ".starter-lint.yaml").write_text(f"output: {json.dumps(output)}\nvalues: [values.yaml]\n")
        before = snapshot(tmp_path)
        done = cli("check", cwd=repo)
        assert done.returncode == 2, (output, outputs(done))
        assert ".starter-lint.yaml:1:" in done.stderr and "outside the repository" in done.stderr
        assert snapshot(tmp_path) == before
    (repo / ".starter-lint.yaml").write_text("output: reports/lint.txt\nvalues: [values.yaml]\n")
    (repo / "reports").mkdir()
    done = cli("check", cwd=repo)
    assert done.returncode in (0, 1) and (repo / "reports" / "lint.txt").is_file(), done.stderr


def test_config_paths_outside_the_repository_are_refused(repo, tmp_path):
    (repo / "escape").symlink_to(tmp_path / "outside")
    for key, value in (
        ("values", "[../outside/secret.yaml]"),
        ("manifests", "[escape/]"),
        ("crd-dirs", "[../outside/]"),
        ("baseline", "escape/secret.yaml"),
        ("rule-dirs", "[escape]"),
        ("chart", "/"),
    ):
        (repo / ".starter-lint.yaml").write_text(f"{key}: {value}\n")
        done = cli("check", "values.yaml", cwd=repo)
        assert done.returncode == 2 and "outside the repository" in done.stderr, (key, outputs(done))
        assert OUTSIDE_MARKER not in outputs(done)


# ---------------------------------------------------------------------------------------------
# No code from the repository

MARKER_CODE = "import pathlib; pathlib.Path({path!r}).write_text('ran')\n"


def test_a_config_above_the_repository_is_never_read(tmp_path):
    marker = tmp_path / "code-ran.marker"
    above = tmp_path / "above"
    (above / "policies").mkdir(parents=True)
    (above / "policies" / "evil.py").write_text(MARKER_CODE.format(path=str(marker)))
    (above / ".starter-lint.yaml").write_text("rule-dirs: [policies/]\nfail-on: note\nselect: [SL999]\n")
    for has_git in (True, False):  # the repository root: the folder with .git, else the working directory
        repo = above / ("repo-git" if has_git else "plain")
        repo.mkdir()
        if has_git:
            (repo / ".git").mkdir()
            (repo / "sub").mkdir()
        (repo / "values.yaml").write_text(VALUES)
        cwd = repo / "sub" if has_git else repo
        for args in (
            ["check", "../values.yaml" if has_git else "values.yaml"],
            ["rules"],
            ["fix", "--diff", "../values.yaml" if has_git else "values.yaml"],
        ):
            done = cli(*args, cwd=cwd)
            assert done.returncode in (0, 1), (args, outputs(done))
            assert not marker.exists()
    # the repository's own config is still found upward from a sub-folder
    (above / "repo-git" / ".starter-lint.yaml").write_text("select: [SL104]\n")
    (above / "repo-git" / "values.yaml").write_text("worker:\n  enabled: yes\n")
    done = cli("check", "../values.yaml", "--format", "json", cwd=above / "repo-git" / "sub")
    assert [f["rule"] for f in json.loads(done.stdout)["targets"][0]["findings"]] == ["SL104"]


@pytest.mark.parametrize("key", ["kubeconform", "helm"])
def test_a_config_never_names_an_executable(repo, key):
    marker = repo / "exec-ran.marker"
    script = repo / "tool.sh"
    script.write_text(f"#!/bin/sh\necho ran > '{marker}'\necho '{{\"resources\": []}}'\n")
    script.chmod(0o755)
    (repo / ".starter-lint.yaml").write_text(f"{key}: ./tool.sh\nvalidator: kubeconform\n")
    for args in (["check", "--manifests", "rendered/"], ["check", "values.yaml"], ["rules"]):
        done = cli(*args, cwd=repo)
        assert done.returncode == 2, outputs(done)
        assert f".starter-lint.yaml:1: '{key}' cannot be set in the config" in done.stderr
        assert "command line" in done.stderr and not marker.exists()


def test_hook_file_names_are_never_options(repo):
    """The values hook ends its args with `--`: a file committed as `-oout/values.yaml` or
    `--config=cfg/values.yaml` is a file to check, never an option (parsed by the real CLI)."""
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    values_hook = next(h for h in hooks if h["id"] == "starter-lint")
    assert values_hook["args"][-1] == "--" and values_hook.get("pass_filenames", True)
    (repo / "-oout").mkdir()
    (repo / "-oout" / "values.yaml").write_text("worker:\n  enabled: yes\n")
    (repo / "--config=cfg").mkdir()
    (repo / "--config=cfg" / "values.yaml").write_text("worker:\n  enabled: yes\n")
    (repo / "out").mkdir()
    (repo / "out" / "values.yaml").write_text(VALUES)
    (repo / "cfg").mkdir()
    (repo / "cfg" / "values.yaml").write_text("select: [SL999]\n")  # read as a config, it would fail
    before = snapshot(repo)
    names = ["-oout/values.yaml", "--config=cfg/values.yaml", "-", "--help", "-h"]
    for name in names[2:]:
        (repo / name).write_text("worker:\n  enabled: yes\n")
    before = snapshot(repo)
    entry = values_hook["entry"].split()[1:]  # `starter-lint check` -> ["check"]
    done = cli(
        *entry, "--select", "SL104", "--format", "json", *values_hook["args"], *names, cwd=repo, stdin=""
    )
    assert done.returncode == 0, outputs(done)
    report = json.loads(done.stdout)
    assert [t["name"] for t in report["targets"]] == [
        n if n != "-" else "./-" for n in names
    ]  # `-` is no stdin
    assert all([f["rule"] for f in t["findings"]] == ["SL104"] for t in report["targets"])
    assert snapshot(repo) == before


# ---------------------------------------------------------------------------------------------
# Symlinks out of the repository


def _assert_refused(done, marker=OUTSIDE_MARKER):
    assert done.returncode == 2, outputs(done)
    assert "outside the repository" in done.stderr and "not followed" in done.stderr
    assert marker not in outputs(done) and marker.lower() not in outputs(done).lower()
    assert "Traceback" not in done.stderr


def test_symlinks_out_of_the_repository_are_not_followed(repo, tmp_path):
    outside = tmp_path / "outside"
    (repo / "rendered" / "leak.yaml").symlink_to(outside / "secret.yaml")
    (repo / "linked-dir").mkdir()
    (repo / "linked-dir" / "sub").symlink_to(outside)
    (repo / "values-link.yaml").symlink_to(outside / "secret.yaml")
    (repo / "crds").mkdir()
    (repo / "crds" / "crd.yaml").symlink_to(outside / "crd.yaml")
    chart = REPO / "examples" / "chart"
    charts = {}
    for name, (inside, pointing) in {
        "template": ("templates/leak.yaml", "secret.yaml"),
        "values": ("values.yaml", "secret.yaml"),
        "files": ("files", "."),
        "chart": (None, "."),
    }.items():
        folder = repo / f"chart-{name}"
        if inside is None:  # the chart folder itself is a symlink
            folder.symlink_to(outside)
        else:
            (folder / "templates").mkdir(parents=True)
            (folder / "Chart.yaml").write_text((chart / "Chart.yaml").read_text())
            (folder / inside).symlink_to(outside / pointing)
        charts[name] = folder.name
    before, outside_before = snapshot(repo), snapshot(outside)
    runs = [
        ["check", "--manifests", "rendered/"],
        ["check", "--manifests", "rendered/leak.yaml"],
        ["check", "--manifests", "linked-dir/"],
        ["check", "values-link.yaml"],
        ["check", "-f", "values-link.yaml"],
        ["values", "-f", "values-link.yaml"],
        ["fix", "--diff", "values-link.yaml"],
        ["fix", "values-link.yaml"],
        ["check", "--manifests", "rendered/a.yaml", "--crd", "crds/"],
        ["check", "--manifests", "rendered/a.yaml", "--crd", "crds/crd.yaml"],
    ]
    runs += [["check", "values.yaml", "--chart", folder] for folder in charts.values()]
    runs += [["values", "--chart", folder] for folder in charts.values()]
    for index, args in enumerate(runs):
        formats = FORMATS if index == 0 else ("json",) if args[0] == "check" else (None,)
        for fmt in formats:
            done = cli(*args, *(["--format", fmt] if fmt else []), cwd=repo)
            _assert_refused(done)
    assert snapshot(repo) == before and snapshot(outside) == outside_before


def test_a_config_symlinked_out_of_the_repository_is_not_read(repo, tmp_path):
    (tmp_path / "outside" / "config.yaml").write_text(f"{OUTSIDE_MARKER}: 1\n")
    (repo / ".starter-lint.yaml").symlink_to(tmp_path / "outside" / "config.yaml")
    (repo / "sub").mkdir()
    for args, cwd in (
        (["check", "values.yaml"], repo),
        (["check", "../values.yaml"], repo / "sub"),
        (["check", "values.yaml", "--config", ".starter-lint.yaml"], repo),
        (["rules"], repo),
    ):
        _assert_refused(cli(*args, cwd=cwd))


def test_symlinks_inside_the_repository_are_followed(repo):
    (repo / "common").mkdir()
    (repo / "common" / "b.yaml").write_text(MANIFEST.replace("name: app", "name: other"))
    (repo / "rendered" / "b.yaml").symlink_to("../common/b.yaml")
    (repo / "rendered" / "loop").symlink_to("..")  # a loop inside: read once, never forever
    done = cli("check", "--manifests", "rendered/", "--validator", "builtin", "--format", "json", cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    files = json.loads(done.stdout)["targets"][0]
    assert "rendered/b.yaml" in json.dumps(files)


def test_a_folder_named_outside_the_repository_keeps_its_own_symlinks(repo, tmp_path):
    """On the command line a user may name a folder outside the repository; links inside it that
    stay inside it are followed, links out of it are not."""
    given = tmp_path / "rendered-elsewhere"
    (given / "real").mkdir(parents=True)
    (given / "real" / "a.yaml").write_text(MANIFEST)
    (given / "b.yaml").symlink_to(given / "real" / "a.yaml")
    done = cli("check", "--manifests", str(given), "--validator", "builtin", cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    (given / "leak.yaml").symlink_to(tmp_path / "outside" / "secret.yaml")
    _assert_refused(cli("check", "--manifests", str(given), "--validator", "builtin", cwd=repo))


# ---------------------------------------------------------------------------------------------
# Control files: size limits


def test_control_files_are_read_with_a_size_limit(repo):
    big = repo / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(40 * 1024 * 1024)  # sparse: 40 MiB of NULs without writing them
    done = cli("check", "values.yaml", "--baseline", "big.json", cwd=repo)
    assert done.returncode == 2 and "big.json: larger than 32 MiB" in done.stderr, outputs(done)
    if os.path.exists("/dev/zero"):  # read, never written: the endless file of the issue
        done = cli("check", "values.yaml", "--baseline", "/dev/zero", cwd=repo, timeout=60)
        assert done.returncode == 2 and "larger than" in done.stderr, outputs(done)
    (repo / ".starter-lint.yaml").write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    done = cli("check", "values.yaml", cwd=repo)
    assert done.returncode == 2 and "config .starter-lint.yaml: larger than 1 MiB" in done.stderr
    (repo / ".starter-lint.yaml").write_bytes(b"fail-on: \xff\n")
    done = cli("check", "values.yaml", cwd=repo)
    assert done.returncode == 2 and "not UTF-8" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# The schema cache


def _fake_kubeconform(folder: Path) -> dict:
    binary = folder / "kubeconform"
    binary.write_text(f"#!{sys.executable}\nimport json; print(json.dumps({{'resources': []}}))\n")
    binary.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_the_cache_honours_xdg_and_works_when_not_writable(repo, tmp_path, monkeypatch):
    monkeypatch.delenv("STARTER_LINT_CACHE_DIR", raising=False)
    (tmp_path / "bin").mkdir()
    env = _fake_kubeconform(tmp_path / "bin")
    (repo / "crds").mkdir()
    (repo / "crds" / "widget.yaml").write_text(CRD)
    args = ["check", "--manifests", "rendered/", "--crd", "crds/", "--validator", "kubeconform"]
    cache = tmp_path / "xdg"
    done = cli(*args, cwd=repo, env={**env, "XDG_CACHE_HOME": str(cache), "HOME": str(tmp_path / "home")})
    assert done.returncode == 0, outputs(done)
    assert (cache / "starter-lint").is_dir() and not (tmp_path / "home").exists()
    assert list((cache / "starter-lint").glob("kubernetes-validate-*/v1.27.0-standalone-strict/.complete"))
    assert list((cache / "starter-lint" / "crds").iterdir())
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    for variable in ("XDG_CACHE_HOME", "STARTER_LINT_CACHE_DIR"):
        done = cli(*args, cwd=repo, env={**env, variable: str(not_a_folder)})
        assert done.returncode == 0, (variable, outputs(done))
    done = cli("check", "values.yaml", cwd=repo, env={"XDG_CACHE_HOME": str(not_a_folder)})
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, outputs(done)


# ---------------------------------------------------------------------------------------------
# The repository's .git folder: git runs its hooks and keeps the checkout's credentials there

GIT_TOKEN = "AUTHORIZATION: basic GITTOKENMARKER12345"


def git_repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git" / "hooks").mkdir(parents=True)
    (repo / ".git" / "config").write_text(f'[http "https://github.com/"]\n\textraheader = {GIT_TOKEN}\n')
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    (repo / "values.yaml").write_text(VALUES)
    return repo


@pytest.mark.parametrize("where", ["config", "command line"])
@pytest.mark.parametrize("target", [".git/hooks/pre-commit", ".git/config", ".git/new-file"])
def test_the_report_never_goes_into_the_git_folder(tmp_path, where, target):
    repo = git_repository(tmp_path)
    before = snapshot(repo)
    if where == "config":
        (repo / ".starter-lint.yaml").write_text(f"output: {target}\n")
        before = snapshot(repo)
        done = cli("check", "values.yaml", cwd=repo)
    else:
        done = cli("check", "values.yaml", "--output", target, cwd=repo)
    assert done.returncode == 2 and ".git folder" in done.stderr, done.stderr
    assert snapshot(repo) == before


def test_a_symlink_into_the_git_folder_is_not_followed(tmp_path):
    repo = git_repository(tmp_path)
    chart = repo / "chart"
    import shutil

    shutil.copytree(REPO / "examples" / "chart", chart)
    (chart / "files").mkdir()
    (chart / "files" / "c").symlink_to("../../.git/config")
    (chart / "templates" / "leak.yaml").write_text('{{ fail (.Files.Get "files/c") }}\n')
    (repo / "linked.yaml").symlink_to(".git/config")
    before = snapshot(repo)
    for args in (("-f", "values.yaml", "--chart", "chart"), ("linked.yaml",), ("--manifests", "linked.yaml")):
        done = cli("check", *args, cwd=repo)
        assert done.returncode == 2 and "leads into the repository's .git folder" in done.stderr, done.stderr
        assert "GITTOKENMARKER" not in done.stdout + done.stderr
    assert snapshot(repo) == before


def test_a_config_of_thousands_of_targets_is_refused_at_once(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "values.yaml").write_text(VALUES)
    targets = "".join(f"  t{i}: {{values: [values.yaml]}}\n" for i in range(2000))
    (tmp_path / ".starter-lint.yaml").write_text("targets:\n" + targets)
    done = cli("check", cwd=tmp_path, timeout=30)
    assert done.returncode == 2 and "at most 200 are checked in one run" in done.stderr, done.stderr


def test_a_very_long_ignore_glob_is_refused(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "values.yaml").write_text(VALUES)
    (tmp_path / ".starter-lint.yaml").write_text(
        f"ignores:\n  - rules: [SL101]\n    paths: ['{'*' * 40000}x']\n    reason: r\n"
    )
    done = cli("check", "values.yaml", cwd=tmp_path, timeout=30)
    assert done.returncode == 2 and "longer than 1024 characters" in done.stderr, done.stderr
