"""`-j N`: config targets checked in up to N processes (this one and forked children, each a
contiguous share of the targets of about equal input bytes), reported as a serial run reports."""

from __future__ import annotations

import os

import pytest

from starter_lint import halves, pipeline
from starter_lint.options import Options
from starter_lint.results import TargetResult
from starter_lint.targets import Target

needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork") or halves._cores() < 2, reason="splitting needs fork and two cores"
)


def _by_pid(target, options, catalog):
    return TargetResult(name=f"{target.name}@{os.getpid()}", findings=[], files=[])


@needs_fork
def test_each_share_of_the_targets_runs_in_a_process_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "run_target", _by_pid)
    monkeypatch.setattr(pipeline, "plan_targets", lambda options: targets)
    targets = []
    for name in "abcd":
        (tmp_path / f"{name}.yaml").write_text("x: 1\n" * 100)
        targets.append(Target(name=name, files=[str(tmp_path / f"{name}.yaml")]))
    report = pipeline.run(Options(cwd=str(tmp_path), jobs=2, select=["SL1"]))
    names = [result.name.split("@") for result in report.targets]
    assert [name for name, _ in names] == list("abcd")  # the targets' order
    pids = [int(pid) for _, pid in names]
    assert pids[:2] == [os.getpid()] * 2 and pids[2] == pids[3] != os.getpid()
    serial = pipeline.run(Options(cwd=str(tmp_path), jobs=1, select=["SL1"]))
    assert {result.name.split("@")[1] for result in serial.targets} == {str(os.getpid())}


def test_a_share_is_weighed_by_the_bytes_its_targets_read(tmp_path):
    (tmp_path / "values.yaml").write_text("x" * 1000)
    rendered = tmp_path / "rendered" / "nested"
    rendered.mkdir(parents=True)
    (rendered / "a.yaml").write_text("y" * 300)
    (tmp_path / "rendered" / "b.yaml").write_text("z" * 200)
    os.symlink("/etc/passwd", tmp_path / "rendered" / "outside.yaml")  # not followed, not counted
    weigh = pipeline._input_bytes
    assert weigh(Target("v", ["values.yaml"]), str(tmp_path)) == 1000
    assert weigh(Target("m", [], manifests=["rendered"]), str(tmp_path)) == 500
    assert (
        weigh(
            Target("m", [str(tmp_path / "values.yaml")], manifests=[str(tmp_path / "rendered" / "b.yaml")]),
            None,
        )
        == 1000 + 200
    )
    assert weigh(Target("c", [], chart="chart"), str(tmp_path)) == pipeline.CHART_RENDER_BYTES
    assert weigh(Target("missing", ["nope.yaml", "a\x00b"]), str(tmp_path)) == 1  # the check says why
