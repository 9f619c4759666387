"""Property tests: any text gives exit 0/1/2 with valid JSON for 0/1; output is deterministic."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import run_in_process

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_TOKENS = list("abcyn01:-[]{}&*!|>'\"#,.?~ \n\t<=%@`") + [
    "yes",
    "no",
    "on",
    "0x1F",
    "017",
    ": ",
    "\n  ",
    "- ",
    "<<",
    "&a ",
    "*a",
    "!!str ",
    "---\n",
]
yaml_ish = st.lists(st.sampled_from(_TOKENS), max_size=80).map("".join)
any_text = st.one_of(
    st.text(max_size=300), yaml_ish, st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
)


@SETTINGS
@given(text=any_text)
def test_any_text_as_values_file(text):
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "v.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        code, out, err = run_in_process(["check", "v.yaml", "--format", "json"], tmp)
        assert code in (0, 1, 2), err
        assert "Traceback" not in err and "internal error" not in err, err
        if code in (0, 1):
            document = json.loads(out)
            assert document["failed"] == (code == 1)
        else:
            assert err.count("\n") == 1


@SETTINGS
@given(text=yaml_ish)
def test_same_input_twice_is_byte_identical(text):
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "v.yaml").write_text(text, encoding="utf-8")
        first = run_in_process(["check", "v.yaml", "--format", "json"], tmp)
        second = run_in_process(["check", "v.yaml", "--format", "json"], tmp)
        assert first == second


def test_file_order_does_not_change_findings(tmp_path):
    from .support import REPO

    files = [REPO / "examples" / "values.broken.yaml", REPO / "examples" / "values.prod.yaml"]
    for f in files:
        (tmp_path / f.name).write_text(f.read_text())
    a = run_in_process(["check", files[0].name, files[1].name, "--format", "json"], tmp_path)
    b = run_in_process(["check", files[1].name, files[0].name, "--format", "json"], tmp_path)
    assert a[0] == b[0]

    def findings(out):
        return sorted(
            (t["name"], f["rule"], f["line"], f["message"])
            for t in json.loads(out)["targets"]
            for f in t["findings"]
        )

    assert findings(a[1]) == findings(b[1])


def test_parallel_targets_give_the_serial_report(tmp_path):
    from .support import REPO, cli

    names = []
    for source in sorted((REPO / "examples" / "clean").glob("*.yaml")) + [
        REPO / "examples" / "values.broken.yaml"
    ]:
        (tmp_path / source.name).write_text(source.read_text())
        names.append(source.name)
    serial = cli("check", *names, "--format", "json", cwd=tmp_path)
    parallel = cli("check", *names, "--format", "json", "-j", "2", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout
    missing = cli("check", "nope.yaml", *names, "-j", "2", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr == "starter-lint: error: nope.yaml: no such file\n"
