"""`starter-lint policy test PATH...`: every values policy's examples, run as `check` runs them.

Each example is a values file layered over the contract defaults (as the shipped rules' examples
in tests/test_rule_examples.py are) and checked with only that policy selected: a `fail` example
must produce a finding of the policy, a `pass` example none. A policy that cannot be loaded is
an InputError (exit 2), as for `check`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from ..options import Options
from ..pipeline import run
from ..records import record
from .load import load_policies


@record(frozen=True)
class ExampleResults:
    ran: int
    failures: tuple[str, ...]  # one line per example that did not do what it says


def run_examples(paths: Sequence[str], cwd: str) -> ExampleResults:
    policies = load_policies(list(paths), cwd)
    failures: list[str] = []
    ran = 0
    if policies is None:
        return ExampleResults(0, ())
    with tempfile.TemporaryDirectory(prefix="starter-lint-policy-") as folder:
        for policy in policies.values_policies:
            for expected, examples in (("fail", policy.fail_examples), ("pass", policy.pass_examples)):
                for number, values in enumerate(examples, 1):
                    ran += 1
                    # at the example's own line, where the fix is
                    label = (
                        f"{policy.examples_at[expected][number - 1]}: {policy.id} {expected} example {number}"
                    )
                    if not isinstance(values, dict):
                        failures.append(f"{label}: an example is a mapping of values")
                        continue
                    file = Path(folder) / f"{policy.id}-{expected}-{number}.yaml"
                    file.write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
                    options = Options(
                        cwd=cwd, files=[str(file)], policies=list(paths), select=[policy.id], baseline=None
                    )
                    found = [f for f in run(options).findings if f.rule == policy.id]
                    if expected == "fail" and not found:
                        failures.append(f"{label}: expected a finding, got none")
                    elif expected == "pass" and found:
                        failures.append(f"{label}: expected no finding, got: {found[0].message}")
    return ExampleResults(ran, tuple(failures))
