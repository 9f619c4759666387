"""Hostile and broken input: a finding or exit 2 with one line; never a traceback, hang or blow-up.

Each case runs the real CLI in a subprocess with a time limit; memory is the children's peak RSS
(ru_maxrss of waited-for children, so the assertion bounds every case run so far).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support import children_cpu_seconds, cli, cli_measured

MEMORY_LIMIT_KB = 1_500_000  # 1.5 GB for the largest input
TIME_LIMIT = 60


def _bomb(levels: int = 12) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


CASES = {
    "alias-bomb": _bomb().encode(),
    "deep-maps": ("".join(" " * i + f"k{i}:\n" for i in range(10_000)) + " " * 10_000 + "v: 1\n").encode(),
    "deep-flow-lists": ("a: " + "[" * 10_000 + "]" * 10_000 + "\n").encode(),
    "twenty-mb": (
        b"api:\n  env:\n" + b"".join(b"    K%07d: \"%s\"\n" % (i, b"x" * 40) for i in range(360_000))
    ),
    "five-mb-line": b"a: " + b"x" * (5 * 1024 * 1024) + b"\n",
    "random-binary": bytes((i * 7919 + 13) % 256 for i in range(65536)),
    "nul-bytes": b"api:\n  image: \"a\x00b\"\n",
    "utf16-bom": "\ufeffapi:\n  image: registry.example.org/app-api:1.0.0\n".encode("utf-16"),
    "utf8-bom": b"\xef\xbb\xbfapi:\n  image: registry.example.org/app-api:1.0.0\n",
    "crlf": b"api:\r\n  image: registry.example.org/app-api:1.0.0\r\n",
    "tabs-indent": b"api:\n\timage: x\n",
    "python-tag": b"api: !!python/object/apply:os.system [\"touch /tmp/starter-lint-pwned\"]\n",
    "python-name-tag": b"api: !!python/name:os.system\n",
    "unknown-tag": b"api: !custom {a: 1}\n",
    "top-list": b"- a\n- b\n",
    "top-scalar": b"just a string\n",
    "empty": b"",
    "comments-only": b"# nothing here\n# at all\n",
    "multi-doc": b"api:\n  image: a\n---\nweb:\n  image: b\n",
    "hundred-thousand-keys": "".join(f"key{i}: value{i}\n" for i in range(100_000)).encode(),
    "not-utf8": b"api:\n  image: \xff\xfe\xfa\n",
    "unclosed-quote": b"api:\n  image: \"registry\n",
    "inf": b"autoscaling:\n  targetCPUUtilizationPercentage: .inf\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_values_file(name, tmp_path):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(CASES[name])
    spent = children_cpu_seconds()
    result, peak_kb = cli_measured(
        "check", str(path), "--format", "json", cwd=tmp_path, timeout=3 * TIME_LIMIT
    )
    cpu = children_cpu_seconds() - spent
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr[-500:])
    if result.returncode == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("starter-lint: "), result.stderr
    else:
        document = json.loads(result.stdout)
        assert document["schemaVersion"] == 1
    assert cpu < TIME_LIMIT, f"took {cpu:.1f} s of CPU"
    assert peak_kb < MEMORY_LIMIT_KB
    assert not Path("/tmp/starter-lint-pwned").exists(), "a YAML tag executed code"


@pytest.mark.parametrize(
    "name",
    [
        "alias-bomb",
        "deep-maps",
        "deep-flow-lists",
        "twenty-mb",
        "five-mb-line",
        "random-binary",
        "nul-bytes",
        "not-utf8",
        "top-list",
        "top-scalar",
        "unclosed-quote",
        "inf",
        "utf16-bom",  # Helm 4 adds a line break byte to it: an odd number of bytes is no UTF-16
    ],
)
def test_unloadable_values_are_sl102_findings(name, tmp_path):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(CASES[name])
    result = cli(
        "check", str(path), "--format", "json", "--select", "SL102", cwd=tmp_path, timeout=TIME_LIMIT
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["targets"][0]["findings"]
    assert [f["rule"] for f in findings] == ["SL102"]
    assert findings[0]["path"] == f"{name}.yaml"


@pytest.mark.parametrize(
    "name", ["utf16-bom", "utf8-bom", "crlf", "empty", "comments-only", "python-tag", "unknown-tag"]
)
def test_readable_oddities_load(name, tmp_path):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(CASES[name])
    major = "3" if name == "utf16-bom" else "4"  # Helm 3 reads UTF-16 with a BOM; Helm 4 refuses it
    result = cli("values", "--helm-version", major, "-f", str(path), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert isinstance(values, dict)
    if name == "python-tag":
        # go-yaml keeps the node as plain data; nothing is constructed or run
        assert values["api"] == ["touch /tmp/starter-lint-pwned"]


def test_missing_path_is_exit_2(tmp_path):
    result = cli("check", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"starter-lint: error: {tmp_path / 'nope.yaml'}: no such file\n"


def test_directory_where_a_file_belongs(tmp_path):
    result = cli("check", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "is a directory" in result.stderr and result.stderr.count("\n") == 1


# Root reads every file: the CLI runs with the two capabilities that let it (util-linux's setpriv).
_NO_READ_OVERRIDE = [
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
]


def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")
    path.chmod(0)
    command = [sys.executable, "-m", "starter_lint", "check", str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip(
                "as root this needs setpriv to drop file-read capabilities: apt-get install util-linux"
            )
        command = [setpriv, *_NO_READ_OVERRIDE, "--", *command]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "permission denied" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_unreadable_file_as_root_via_fifo_free_path(tmp_path):
    """As root nothing is unreadable; a path through a regular file is the portable equivalent."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("check", str(blocker / "values.yaml"), cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("starter-lint: error: ")
    assert result.stderr.count("\n") == 1


def test_bad_option_is_one_line(tmp_path):
    result = cli("check", "--no-such-option", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no-such-option" in result.stderr


def test_nothing_to_check(tmp_path):
    result = cli("check", cwd=tmp_path)
    assert result.returncode == 2 and "nothing to check" in result.stderr


def test_an_unreadable_values_file_is_reported_alone(tmp_path):
    """No findings from the chart defaults that are left when the user's file cannot be read."""
    (tmp_path / "bad.yaml").write_text('api:\n  image: "registry.example.org/app\n')
    result = cli("check", "bad.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    findings = json.loads(result.stdout)["targets"][0]["findings"]
    assert [(f["rule"], f["path"]) for f in findings] == [("SL102", "bad.yaml")]
