"""The benchmark's inputs (bench/inputs.py, smaller) give the same report, byte for byte, in every
output format, with the fast paths on and off (`starter_lint.speedups.FAST_PATHS`): the fast
paths are a speed-up, never a change of answer."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from starter_lint.option_table import FORMATS

from .support import REPO, bench_module

# the CLI in a fresh process, with the switch set before anything reads it (no cache of a run
# with the other setting can answer for this one); `split`: the fast paths with every input large enough to be split
# between two processes (turns.py), which this small input is not otherwise
_WITH_SWITCH = (
    "import sys\n"
    "from starter_lint import speedups\n"
    "speedups.FAST_PATHS = sys.argv[1] != 'off'\n"
    "if sys.argv[1] == 'split':\n"
    "    from starter_lint.manifests import stream\n"
    "    stream.SPLIT_BYTES = 2\n"
    "from starter_lint.cli import run_cli\n"
    "sys.exit(run_cli(sys.argv[2:]))\n"
)


@pytest.fixture(scope="module")
def bench_input(tmp_path_factory):
    """50 releases in one namespace (with the Services that select every worker) and a stream of
    releases in one file: the shapes of the benchmark's 3,000 Deployments and 20 MB stream."""
    inputs = bench_module("inputs")
    root = tmp_path_factory.mktemp("bench")
    inputs.one_namespace(root / "one-namespace", 50)
    inputs.stream(root / "stream.yaml", 100_000)
    return root


def _report(root, fmt: str, mode: str, inputs=("one-namespace", "stream.yaml"), policies=()) -> bytes:
    out = root / f"report-{fmt}-{mode}-{len(inputs)}-{len(policies)}"
    args = ["check", "--validator", "builtin", "--format", fmt, "-o", str(out)]
    for given in inputs:
        args += ["--manifests", given]
    for folder in policies:
        args += ["--policy", str(folder)]
    paths = [str(REPO), os.environ.get("PYTHONPATH")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    done = subprocess.run(
        [sys.executable, "-c", _WITH_SWITCH, mode, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # the releases share one billing worker's jobs (SL806): findings to compare
    assert done.returncode == 1, done.stderr
    return out.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_bench_input_reports_the_same_with_fast_paths_on_and_off(bench_input, fmt):
    fast = _report(bench_input, fmt, "on")
    general = _report(bench_input, fmt, "off")
    assert fast, "an empty report compares nothing"
    assert fast == general
    # read by two processes: the same again
    assert _report(bench_input, fmt, "split") == general


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_one_stream_read_in_two_parts_reports_the_same(bench_input, fmt):
    general = _report(bench_input, fmt, "off", ("stream.yaml",))
    assert general
    assert _report(bench_input, fmt, "split", ("stream.yaml",)) == general


def test_the_generated_inputs_have_the_benchmark_shape(tmp_path):
    inputs = bench_module("inputs")
    folder = inputs.one_namespace(tmp_path / "ns", 10)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml")))
    assert text.count("kind: Deployment\n") == 30
    assert text.count("kind: Service\n") == 30
    assert text.count("kind: HorizontalPodAutoscaler\n") == 20
    assert text.count("kind: Ingress\n") == 10
    assert "namespace:" not in text  # one namespace: the release's
    stream = inputs.stream(tmp_path / "s.yaml", 50_000)
    assert len(stream.read_text(encoding="utf-8")) >= 50_000


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_the_benchmarks_policies_report_the_same_with_fast_paths_on_and_off(bench_input, fmt):
    """bench/policies.py's 20 admission policies: verdicts shared between objects and each
    object's findings placed by one walk of its document's events (fast) against every policy
    evaluated on every object and the findings placed in the composed document (general)."""
    policies = bench_module("policies").policy_files(bench_input / "policies")
    fast = _report(bench_input, fmt, "on", ("one-namespace",), (policies,))
    assert b"SL901" in fast
    assert fast == _report(bench_input, fmt, "off", ("one-namespace",), (policies,))
    assert _report(bench_input, fmt, "split", ("one-namespace",), (policies,)) == fast
