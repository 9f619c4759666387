"""`-j N`: config targets checked by up to N processes (this one and forked children taking the
targets in turns), reported as a serial run reports them."""

from __future__ import annotations

import os
import time

import pytest

from starter_lint import pipeline, turns
from starter_lint.errors import StarterLintError
from starter_lint.options import Options
from starter_lint.results import TargetResult
from starter_lint.targets import Target

needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork") or turns._cores() < 2, reason="splitting needs fork and two cores"
)


def _by_pid(target, options, catalog):
    time.sleep(0.01)
    if target.name.startswith("broken"):
        raise StarterLintError(f"{target.name}: no such file")
    return TargetResult(name=f"{target.name}@{os.getpid()}", findings=[], files=[])


def _run(monkeypatch, names, jobs):
    monkeypatch.setattr(pipeline, "run_target", _by_pid)
    monkeypatch.setattr(pipeline, "plan_targets", lambda options: [Target(name, []) for name in names])
    return pipeline.run(Options(jobs=jobs, select=["SL1"]))


@needs_fork
def test_the_targets_are_checked_by_two_processes_and_reported_in_order(monkeypatch):
    names = [f"t{n}" for n in range(12)]
    report = _run(monkeypatch, names, 2)
    shown = [result.name.split("@") for result in report.targets]
    assert [name for name, _ in shown] == names
    assert len({pid for _, pid in shown}) == 2
    serial = _run(monkeypatch, names, 1)
    assert {result.name.split("@")[1] for result in serial.targets} == {str(os.getpid())}


@needs_fork
@pytest.mark.parametrize("run", range(3))
def test_the_first_broken_target_is_the_error_as_in_a_serial_run(monkeypatch, run):
    names = [f"t{n}" for n in range(4)] + ["broken-a"] + [f"u{n}" for n in range(4)] + ["broken-b"]
    with pytest.raises(StarterLintError, match="broken-a: no such file"):
        _run(monkeypatch, names, 2)
