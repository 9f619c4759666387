#!/usr/bin/env python3
"""Benchmark: what 20 admission policies add to `check` on the 500-release input (issue 13: at most 50 %).

The policies are the four examples/policies/admission-*.yaml five times over (each copy's
policies, bindings and params objects renamed `-1` … `-5`), written to bench/out/policies/.
Cold processes of `check --validator builtin --fail-on error -q --manifests <500 releases>`
without and with `--policy bench/out/policies`, alternated in this one run so both see the same
machine state; it prints the median wall and CPU time of each and their ratios.

    python bench/policies.py [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
COPIES = 5  # 4 example policies x 5 = 20 policies
BUDGET = 1.5  # issue 13: the policies add at most 50 % to the time

sys.path.insert(0, str(HERE))
import inputs  # noqa: E402 (bench/ is a folder of scripts, not a package)
import run  # noqa: E402

# every name a copy must change: a policy's and binding's metadata.name, a binding's policyName
# and paramRef name, and the params ConfigMap's name (the examples name them all alike)
_NAMES = re.compile(
    r"^(\s*(?:name|policyName): )(replica-bounds|required-labels|resource-limits|trusted-registries)$", re.M
)


def policy_files(folder: Path, copies: int = COPIES) -> Path:
    """`copies` renamed copies of each examples/policies/admission-*.yaml in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for source in sorted((REPO / "examples" / "policies").glob("admission-*.yaml")):
        text = source.read_text(encoding="utf-8")
        for i in range(1, copies + 1):
            renamed = _NAMES.sub(lambda m, i=i: f"{m.group(1)}{m.group(2)}-{i}", text)
            (folder / f"{source.stem}-{i}.yaml").write_text(renamed, encoding="utf-8")
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    releases = inputs.releases(OUT / "500-releases", 500)
    policies = policy_files(OUT / "policies")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure cached bytecode, as an installed package runs
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    check = [
        sys.executable,
        "-m",
        "starter_lint",
        "check",
        "--validator",
        "builtin",
        "--fail-on",
        "error",
        "-q",
    ]
    commands = {
        "without policies": check + ["--manifests", str(releases)],
        f"with {COPIES * 4} policies": check + ["--manifests", str(releases), "--policy", str(policies)],
    }
    # warm the file-system and schema caches (and bytecode) once
    for command in commands.values():
        run.measure(command, 1, env)
    runs: dict = {label: [] for label in commands}
    for _ in range(args.repeat):  # alternated: both see the same load
        for label, command in commands.items():
            runs[label].append(run.measure(command, 1, env))
    results = {}
    for label, measured in runs.items():
        failed = next((m for m in measured if "error" in m), None)
        if failed is not None:
            print(f"{label}: failed: {failed['error']}", file=sys.stderr)
            return 2
        results[label] = {
            "wall": sorted(m["wall"] for m in measured)[len(measured) // 2],
            "cpu": sorted(m["cpu"] for m in measured)[len(measured) // 2],
        }
    without, with_ = results.values()
    results["ratio"] = {key: with_[key] / without[key] for key in ("wall", "cpu")}
    results["load"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for label in commands:
        print(
            f"{label:20} median wall {results[label]['wall']:7.3f} s   median CPU {results[label]['cpu']:7.3f} s"
        )
    ratio = results["ratio"]
    verdict = "within" if max(ratio.values()) <= BUDGET else "over"
    print(
        f"with / without: wall {ratio['wall']:.2f}x, CPU {ratio['cpu']:.2f}x ({verdict} the {BUDGET}x budget)"
    )
    print(f"load average while measuring: {results['load']:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
