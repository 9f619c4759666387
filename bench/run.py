#!/usr/bin/env python3
"""Benchmark: starter-lint's built-in validator vs kubeconform and kubernetes-validate (docs/design/performance.md).

Generates its inputs into bench/out/ (bench/inputs.py): one release (12 documents, one file),
500 releases (6,000 documents in 500 files), 3,000 Deployments (1,000 releases and a Service
selecting every worker, one namespace, 13,000 documents) and a 20 MB stream (one file). Then it
measures, in this one run, the median wall time, median CPU time and peak RSS of cold processes:
  - `starter-lint check --validator builtin --manifests INPUT`, every rule on; for one release
    also with a values file (examples/values.prod.yaml) in the same check, for 500 releases
    also as 4 config targets with `-j 2`,
  - `kubeconform -n 2 -strict -summary` with standalone schemas written from the schemas the
    built-in validator reads, when KUBECONFORM names it, or it is on PATH, or in the workplace's
    shared tools folder beside the repository (shared/tools/kubeconform/ in its parent folder),
  - `kubernetes-validate --strict -k 1.27.0` (the Python reference; one release and 500 releases).
It prints a table, the ratios starter-lint / reference (wall, CPU, peak RSS) and the CPU time per
document of each input against 500 releases' (a cost that is not linear shows there). Without
kubeconform its recorded times (bench/README.md) are shown for scale, labelled as recorded.

    python bench/run.py [--repeat 5] [--skip-large] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
# where the workplace keeps kubeconform, beside the repository (optional)
SHARED_KUBECONFORM = REPO.parent / "shared" / "tools" / "kubeconform" / "kubeconform"
# kubeconform v0.7.0, standalone schemas, medians on this class of machine (bench/README.md)
RECORDED_KUBECONFORM = {"one release": 0.144, "500 releases": 1.52}  # bench/README.md, Measured
TARGETS, JOBS = 4, 2  # the -j variant of 500 releases: 4 config targets, 2 at a time
VALUES = REPO / "examples" / "values.prod.yaml"  # checked with one release: a production values file
STREAM_BYTES = 20 * 1024 * 1024

sys.path.insert(0, str(HERE))
import inputs  # noqa: E402 (bench/ is a folder of scripts, not a package)


def generate(skip_large: bool = False) -> dict:
    """{label: path} of the generated inputs (rewritten each run: cheap and deterministic)."""
    found = {"one release": inputs.one_release(OUT / "one-release" / "release.yaml")}
    if not skip_large:
        found["500 releases"] = inputs.releases(OUT / "500-releases", 500)
        found["3,000 deployments"] = inputs.one_namespace(OUT / "3000-deployments", 1000)
        found["20 MB stream"] = inputs.stream(OUT / "20mb-stream.yaml", STREAM_BYTES)
    return found


def documents(path: Path) -> int:
    """How many documents an input holds (every generated document starts with `---`)."""
    files = [path] if path.is_file() else sorted(path.glob("*.yaml"))
    return sum(f.read_text(encoding="utf-8").count("---\n") for f in files)


def find_kubeconform() -> str | None:
    """KUBECONFORM (as .ci/run reads it), else kubeconform on PATH, else the shared tools'."""
    for found in (os.environ.get("KUBECONFORM"), shutil.which("kubeconform"), str(SHARED_KUBECONFORM)):
        if found and os.access(found, os.X_OK):
            return found
    return None


# Runs one command and prints its wall time and resource usage as JSON. Linux keeps a process's
# peak RSS across fork and exec, so a child forked from this script (which holds the generated
# inputs) would report at least this script's size: a fresh small interpreter forks it instead.
# The peak RSS from wait4 is that of the largest process (starter-lint forks a child for half of
# a large input): the memory of the whole process tree is sampled too, as the sum of each
# process's PSS (shared pages counted once) every 20 ms, on Linux.
_MEASURE_ONE = """\
import json, os, subprocess, sys, threading, time
def tree(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return [pid]
    return [pid] + [p for kid in kids for p in tree(int(kid))]
def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
    except OSError:
        return 0
peak, done = [0], threading.Event()
def sample(root):
    while not done.wait(0.02):
        peak[0] = max(peak[0], sum(pss(p) for p in tree(root)))
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sampler = threading.Thread(target=sample, args=(child.pid,))
sampler.start()
stderr = child.stderr.read()
_, status, usage = os.wait4(child.pid, 0)
done.set()
sampler.join()
print(json.dumps({
    "wall": time.perf_counter() - start,
    "code": os.waitstatus_to_exitcode(status),
    "cpu": usage.ru_utime + usage.ru_stime,
    "rss": usage.ru_maxrss / 1024,
    "pss": peak[0] / 1024 or None,
    "stderr": stderr.decode(errors="replace").strip().splitlines()[-1:],
}))
"""


def measure(command: list, repeat: int, env=None) -> dict:
    """Median wall time, median CPU time (user+sys) and peak RSS (MiB) over `repeat` cold runs.

    os.wait4 in a small fresh interpreter gives each child's own resource usage, so runs never
    contaminate each other (its peak RSS is at least that interpreter's, about 10 MiB).
    """
    walls, cpus, peaks, totals = [], [], [], []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _MEASURE_ONE, *command],
            stdout=subprocess.PIPE,
            env=env,
            check=True,
        )
        run = json.loads(done.stdout)
        if run["code"] not in (0, 1):
            return {"error": run["stderr"]}
        walls.append(run["wall"])
        cpus.append(run["cpu"])
        peaks.append(run["rss"])
        totals.append(run["pss"])
    total = max(totals) if None not in totals else None
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "rss": max(peaks), "pss": total}


def ratios(ours: dict, theirs: dict) -> str:
    """starter-lint / reference for wall time, CPU time and peak RSS."""
    return ", ".join(
        f"{what} {ours[key] / theirs[key]:.2f}x"
        for what, key in (
            ("wall", "wall"),
            ("CPU", "cpu"),
            ("peak RSS", "rss"),
            ("all processes' PSS", "pss"),
        )
        if ours.get(key) and theirs.get(key)
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-large", action="store_true", help="only the one-release input")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    found = generate(args.skip_large)
    python = sys.executable
    env = dict(os.environ)
    # a user's installed package has its bytecode cached; measure that, not recompilation
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    # every rule runs (none is off by default), as in a user's pre-commit hook: more work than
    # kubeconform does, same input
    starter = [python, "-m", "starter_lint", "check", "--validator", "builtin", "--fail-on", "error", "-q"]
    kubeconform = find_kubeconform()
    kv = shutil.which("kubernetes-validate") or str(Path(python).with_name("kubernetes-validate"))
    schema_root = None
    if kubeconform:
        sys.path.insert(0, str(REPO))
        from starter_lint.validate.standalone import standalone_dir  # deferred: only with kubeconform

        schema_root = str(standalone_dir("1.27"))
    # warm the file-system cache and the schema cache once; every measured run is a cold process
    subprocess.run(
        starter + ["--manifests", str(found["one release"])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )

    results: dict = {}
    for label, path in found.items():
        row = {"starter-lint": measure(starter + ["--manifests", str(path)], args.repeat, env)}
        if label == "one release":
            # the target's case (docs/design/performance.md): a values file and the release's
            # documents in one check; kubeconform reads the documents only (it has no values)
            command = starter + [str(VALUES), "--manifests", str(path)]
            row["starter-lint +values"] = measure(command, args.repeat, env)
        if label == "500 releases":
            config = inputs.targets_config(OUT / "targets.yaml", path, TARGETS)
            command = starter + ["--config", str(config), "-j", str(JOBS)]
            row[f"starter-lint -j {JOBS}"] = measure(command, args.repeat, env)
        if kubeconform:
            command = [
                kubeconform,
                "-n",
                "2",
                "-strict",
                "-summary",
                "-output",
                "json",
                "-kubernetes-version",
                "1.27.0",
                "-schema-location",
                schema_root,
                "-schema-location",
                str(REPO / "schemas" / "crds" / "{{ .ResourceKind }}{{ .KindSuffix }}.json"),
                str(path),
            ]
            row["kubeconform"] = measure(command, args.repeat, env)
        else:
            row["kubeconform"] = {"absent": True, "recorded_wall": RECORDED_KUBECONFORM.get(label)}
        if Path(kv).exists() and label in ("one release", "500 releases"):
            files = [str(path)] if path.is_file() else sorted(str(p) for p in path.glob("*.yaml"))
            command = [kv, "--strict", "-k", "1.27.0", "--quiet", *files]
            kv_repeat = args.repeat if label == "one release" else 1  # one to two minutes a run
            row["kubernetes-validate"] = measure(command, kv_repeat, env)
        row["documents"] = documents(path)
        results[label] = row

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'input':18} {'tool':20} {'median wall':>12} {'median CPU':>11} {'peak RSS':>10} {'all PSS':>10}")
    for label, row in results.items():
        for tool, data in row.items():
            if tool == "documents":
                continue
            if data.get("absent"):
                recorded = data["recorded_wall"]
                note = f"(recorded: {recorded:.3f} s)" if recorded else "(no recorded figure)"
                print(f"{label:18} {tool:20} {'absent':>12} {'':>10}  {note}")
            elif "error" in data:
                print(f"{label:18} {tool:20} {'failed':>12}  {data['error']}")
            else:
                total = f"{data['pss']:>6.1f} MiB" if data.get("pss") else f"{'-':>10}"
                print(
                    f"{label:18} {tool:20} {data['wall']:>10.3f} s {data['cpu']:>9.3f} s {data['rss']:>6.1f} MiB "
                    f"{total}"
                )
    print()
    for label, row in results.items():
        kc = row["kubeconform"]
        for tool in (t for t in row if t.startswith("starter-lint")):
            ours = row[tool]
            if "wall" not in ours:
                continue
            if kc.get("absent"):
                if kc["recorded_wall"]:
                    print(
                        f"{label}: {tool} / kubeconform (recorded {kc['recorded_wall']:.3f} s, absent here): "
                        f"wall {ours['wall'] / kc['recorded_wall']:.2f}x"
                    )
            elif "wall" in kc:
                # (+values: starter-lint also checks a values file; kubeconform has none to read)
                unlike = " (kubeconform: the documents only)" if tool.endswith("+values") else ""
                print(f"{label}: {tool} / kubeconform{unlike}: {ratios(ours, kc)}")
            kv_row = row.get("kubernetes-validate") or {}
            if kv_row.get("wall"):
                print(f"{label}: {tool} / kubernetes-validate: {ratios(ours, kv_row)}")
    base = results.get("500 releases")
    if base and "cpu" in base["starter-lint"]:
        per_document = base["starter-lint"]["cpu"] / base["documents"]
        for label, row in results.items():
            if label in ("one release", "500 releases") or "cpu" not in row["starter-lint"]:
                continue
            own = row["starter-lint"]["cpu"] / row["documents"]
            print(
                f"CPU per document, {label} / 500 releases: {own / per_document:.2f}x "
                f"({row['documents']} vs {base['documents']} documents)"
            )
    one, many = results.get("one release"), results.get("500 releases")
    if one and many and "rss" in one["starter-lint"] and "rss" in many["starter-lint"]:
        print(
            f"peak RSS, 500 releases / one release: starter-lint "
            f"{many['starter-lint']['rss'] / one['starter-lint']['rss']:.1f}x for 500x the documents"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
