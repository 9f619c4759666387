"""General CLI behaviour: exit codes 0/1/2, one-line errors, --fail-on, --select/--ignore,
atomic --output, colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from .support import REPO, cli

AMBIGUOUS = "worker:\n  enabled: yes\n"  # SL104, a warning


@pytest.fixture
def work(tmp_path):
    (tmp_path / "warn.yaml").write_text(AMBIGUOUS)
    (tmp_path / "broken.yaml").write_text((REPO / "examples" / "values.broken.yaml").read_text())
    (tmp_path / "prod.yaml").write_text((REPO / "examples" / "values.prod.yaml").read_text())
    return tmp_path


def one_line_error(done, fragment: str):
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("starter-lint: error:") and fragment in lines[0], (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_exit_codes(work):
    assert cli("check", "prod.yaml", cwd=work).returncode == 0
    assert cli("check", "broken.yaml", cwd=work).returncode == 1
    one_line_error(cli("check", "missing.yaml", cwd=work), "missing.yaml: no such file")
    one_line_error(cli("check", cwd=work), "nothing to check")


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["check", "warn.yaml", "--fail-on", "fatal"], "--fail-on"),
        (["check", "warn.yaml", "--format", "xml"], "--format"),
        (["check", "warn.yaml", "--kube-version", "banana"], "--kube-version"),
        (["check", "warn.yaml", "--no-such-option"], "no-such-option"),
        (["check", ".", "--select", "SL104"], "is a directory"),
        (["fix", "missing.yaml"], "missing.yaml"),
        (["baseline", "warn.yaml", "--format", "json"], "No such option '--format'"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(work, args, fragment):
    one_line_error(cli(*args, cwd=work), fragment)


def test_fail_on(work):
    assert cli("check", "warn.yaml", "--select", "SL104", cwd=work).returncode == 0
    assert cli("check", "warn.yaml", "--select", "SL104", "--fail-on", "warning", cwd=work).returncode == 1
    assert cli("check", "warn.yaml", "--select", "SL104", "--fail-on", "note", cwd=work).returncode == 1


def test_select_and_ignore(work):
    def rules(*args):
        done = cli("check", "broken.yaml", "--format", "json", *args, cwd=work)
        assert done.returncode in (0, 1), done.stderr
        # a rule's finding may be folded into another's as a related location (docs/related-findings.md)
        return {
            r["rule"]
            for t in json.loads(done.stdout)["targets"]
            for f in t["findings"]
            for r in [f] + f["related"]
        }

    everything = rules()
    assert "SL104" in everything and len(everything) > 1
    assert rules("--select", "SL104") == {"SL104"}
    # SL100 reports the invalid SECRETS_PROVIDER itself when SL603, which owns it, is not selected
    assert rules("--select", "SL1") == {r for r in everything if r.startswith("SL1")} | {"SL100"}
    assert rules("--select", "SL104,SL103") == {"SL104"} | ({"SL103"} & everything)
    assert "SL104" not in rules("--ignore", "SL104") and rules("--ignore", "SL104") == everything - {"SL104"}
    assert rules("--select", "SL1", "--ignore", "sl104") == {r for r in everything if r.startswith("SL1")} - {
        "SL104"
    } | {"SL100"}


def test_output_is_written_atomically(work):
    done = cli(
        "check", "warn.yaml", "--select", "SL104", "--format", "json", "--output", "report.json", cwd=work
    )
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads((work / "report.json").read_text())["targets"][0]["findings"][0]["rule"] == "SL104"
    # a run that fails leaves the previous report as it was, and no temporary file
    (work / "report.json").write_text("previous")
    one_line_error(cli("check", "missing.yaml", "--output", "report.json", cwd=work), "no such file")
    assert (work / "report.json").read_text() == "previous"
    one_line_error(cli("check", "warn.yaml", "--output", "no/such/dir/r.json", cwd=work), "--output")
    assert not [p.name for p in work.iterdir() if p.name.startswith(".starter-lint-")]


def _run_on_tty(args, cwd, env_extra=None) -> str:
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.update(env_extra or {})
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "starter_lint", *args],
            cwd=cwd,
            stdout=slave,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_only_on_a_terminal_and_never_with_no_color(work):
    args = ["check", "warn.yaml", "--select", "SL104"]
    assert "\x1b[" in _run_on_tty(args, work)
    assert "\x1b[" not in _run_on_tty(args, work, {"NO_COLOR": "1"})
    assert "\x1b[" not in _run_on_tty(args + ["--no-color"], work)
    piped = cli(*args, cwd=work)
    assert "warning SL104" in piped.stdout and "\x1b[" not in piped.stdout


def test_help_and_version():
    assert cli("--version").stdout.startswith("starter-lint, version ")
    for command in ("check", "baseline", "fix", "rules", "explain", "values", "schema"):
        done = cli(command, "--help")
        assert done.returncode == 0 and "Usage:" in done.stdout, command


def test_output_never_overwrites_an_input_and_follows_the_umask(tmp_path):
    import stat

    values = tmp_path / "values.yaml"
    values.write_text("api:\n  image: registry.example.org/app-api:1.0.0\n")
    before = values.read_text()
    same = cli("check", "values.yaml", "--output", "values.yaml", cwd=tmp_path)
    assert same.returncode == 2 and "is one of the inputs" in same.stderr
    assert values.read_text() == before
    report = cli("check", "values.yaml", "--format", "json", "--output", "report.json", cwd=tmp_path)
    assert report.returncode in (0, 1), report.stderr
    mode = stat.S_IMODE((tmp_path / "report.json").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_values_from_standard_input(tmp_path):
    broken = (REPO / "examples" / "values.broken.yaml").read_text()
    done = cli("check", "-f", "-", "--select", "SL105", "--format", "json", cwd=tmp_path, stdin=broken)
    assert done.returncode == 1, done.stderr
    finding = json.loads(done.stdout)["targets"][0]["findings"][0]
    assert (finding["path"], finding["line"]) == ("<stdin>", 3)
    twice = cli("check", "-f", "-", "--manifests", "-", cwd=tmp_path, stdin=broken)
    assert twice.returncode == 2 and "standard input (-) can be read once" in twice.stderr


def test_a_finding_on_a_set_value_says_where_it_came_from(tmp_path):
    (tmp_path / "values.yaml").write_text("web:\n  env: {}\n")
    done = cli(
        "check",
        "values.yaml",
        "--set",
        "web.image=nginx:latest",
        "--select",
        "SL601",
        "--format",
        "json",
        cwd=tmp_path,
    )
    finding = json.loads(done.stdout)["targets"][0]["findings"][0]
    assert (finding["path"], finding["line"]) == ("values.yaml", 1)  # the nearest key the file sets: web
    assert finding["notes"] == ["the value comes from --set web.image=nginx:latest"]


def test_the_exit_loses_no_output(work):
    """The entry point freezes the collector before the process exits (cli.entry_point): the
    report still arrives whole, through a pipe and in the --output file, with its exit code."""
    piped = cli("check", "broken.yaml", "prod.yaml", "--format", "json", cwd=work)
    written = cli("check", "broken.yaml", "prod.yaml", "--format", "json", "--output", "out.json", cwd=work)
    assert piped.returncode == written.returncode == 1, (piped.stderr, written.stderr)
    assert json.loads(piped.stdout)["counts"]["error"] > 0
    assert (work / "out.json").read_text() == piped.stdout
