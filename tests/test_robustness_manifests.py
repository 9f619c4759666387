"""Hostile manifest streams through the CLI: a finding or exit 2, never a traceback or a hang."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import children_cpu_seconds, cli, cli_measured, run_in_process

MEMORY_LIMIT_KB = 1_500_000


def _configmap(i: int) -> str:
    return (
        f"---\n# Source: starter/templates/cm-{i % 50}.yaml\napiVersion: v1\nkind: ConfigMap\n"
        f"metadata:\n  name: cm-{i}\n  namespace: default\ndata:\n  key: \"value-{i}\"\n"
    )


def test_twenty_thousand_documents(tmp_path):
    stream = tmp_path / "big.yaml"
    stream.write_text("".join(_configmap(i) for i in range(20_000)))
    spent = children_cpu_seconds()
    result, peak_kb = cli_measured(
        "check",
        "--validator",
        "builtin",
        "--manifests",
        str(stream),
        "--format",
        "json",
        cwd=tmp_path,
        timeout=300,
    )
    cpu = children_cpu_seconds() - spent
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(result.stdout)
    assert document["targets"][0]["objects"] == 20_000
    assert cpu < 120, f"took {cpu:.1f} s of CPU"
    assert peak_kb < MEMORY_LIMIT_KB


def test_manifests_from_stdin(tmp_path):
    result = cli(
        "check",
        "--validator",
        "builtin",
        "--manifests",
        "-",
        "--format",
        "json",
        cwd=tmp_path,
        stdin=_configmap(1) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbogus: 1\n",
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["targets"][0]["findings"]
    assert any(f["rule"] == "SL701" and f["path"] == "<stdin>" for f in findings)


def test_binary_and_bomb_manifests(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "binary.yaml").write_bytes(bytes(range(256)) * 64)
    bomb = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    (tmp_path / "m" / "bomb.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  " + "\n  ".join(bomb) + "\n"
    )
    (tmp_path / "m" / "python.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata: !!python/object/apply:os.system [\"touch /tmp/sl-pwned\"]\n"
    )
    result = cli(
        "check",
        "--validator",
        "builtin",
        "--manifests",
        str(tmp_path / "m"),
        "--format",
        "json",
        cwd=tmp_path,
        timeout=120,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    rules = {f["rule"] for f in json.loads(result.stdout)["targets"][0]["findings"]}
    assert "SL102" in rules
    assert not Path("/tmp/sl-pwned").exists()


_TOKENS = [
    "apiVersion: v1\n",
    "kind: ConfigMap\n",
    "kind: List\n",
    "items:\n",
    "- ",
    "metadata:\n",
    "  name: a\n",
    "  namespace: b\n",
    "---\n",
    "# Source: x/templates/y.yaml\n",
    "spec: {}\n",
    "data: {a: 1}\n",
    ": ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!!binary ",
    "\t",
    "\n",
    "'",
    '"',
    "\x00",
    "\x85",
    "\u2028",
    "\r",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join), st.text(max_size=200)))
def test_any_text_as_manifest_stream(text):
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "m.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        code, out, err = run_in_process(
            ["check", "--validator", "builtin", "--manifests", "m.yaml", "--format", "json"], tmp
        )
        assert code in (0, 1, 2), err
        assert "Traceback" not in err and "internal error" not in err, err
        if code in (0, 1):
            json.loads(out)
        else:
            assert err.count("\n") == 1


# YAML's own line breaks (the parser's positions count them) and the characters str.splitlines
# also cuts at but YAML refuses: each once, as a manifest stream and as a values file
_YAML_BREAKS = ["\r", "\x85", "\u2028", "\u2029"]
_NOT_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]


@pytest.mark.parametrize("mode", ["manifests", "values"])
@pytest.mark.parametrize("char", _YAML_BREAKS + _NOT_BREAKS)
def test_line_break_characters(tmp_path, char, mode):
    """`\\x85 0` crashed the manifest loader (IndexError): the parser counted NEL as a line break
    and the loader's line list did not. Every line is now cut where YAML cuts it."""
    Path(tmp_path, "m.yaml").write_bytes(f"{char} 0".encode())
    args = ["check", "--manifests", "m.yaml"] if mode == "manifests" else ["check", "m.yaml"]
    code, out, err = run_in_process(args, tmp_path)
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    first = out.splitlines()[0]
    if char in _YAML_BREAKS:
        assert first.startswith("m.yaml:2:"), out  # the `0`, on the line after the break
        if mode == "manifests":
            assert "    2 |  0" in out, out  # and the excerpt is that line
    else:
        assert first.startswith("m.yaml:1:1: error SL102"), out


def test_stream_with_nel_breaks_keeps_lines(tmp_path):
    """A ConfigMap written with NEL line breaks is read, and a finding in it is placed on the
    line the parser counts."""
    text = "\x85".join(
        [
            "apiVersion: v1",
            "kind: ConfigMap",
            "metadata:",
            "  name: cm",
            "  namespace: default",
            "bogus: 1",
            "",
        ]
    )
    Path(tmp_path, "m.yaml").write_bytes(text.encode())
    code, out, err = run_in_process(["check", "--validator", "builtin", "--manifests", "m.yaml"], tmp_path)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 1, out + err
    assert "m.yaml:6:" in out, out
