"""Shared test helpers: run a rule example through the real pipeline, run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from starter_lint.catalog import load_catalog
from starter_lint.options import Options
from starter_lint.pipeline import run

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"  # data copied from other projects; see data/README.md
# why a test that renders a chart through Helm's SDK was skipped, and what to install
NEEDS_HELM_SDK = "needs helm-python-sdk to render charts: pip install helm-python-sdk (or -e '.[test]')"


def example_options(example, directory: Path, select=None) -> Options:
    """Write an example's files into `directory` and return the Options that check them."""
    directory.mkdir(parents=True, exist_ok=True)
    options = Options(cwd=str(directory), select=select)
    if example.chart:
        chart = directory / "chart"
        for name, text in example.chart.items():
            target = chart / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if not (chart / "Chart.yaml").exists():
            (chart / "Chart.yaml").write_text(
                "apiVersion: v2\nname: starter\nversion: 0.1.0\n", encoding="utf-8"
            )
        options.chart = str(chart)
    if example.values is not None:
        path = directory / "values.yaml"
        path.write_text(example.values, encoding="utf-8")
        options.files.append(str(path))
    for name, text in example.files:
        path = directory / name
        path.write_text(text, encoding="utf-8")
        options.files.append(str(path))
    if example.manifests is not None:
        path = directory / "manifests.yaml"
        path.write_text(example.manifests, encoding="utf-8")
        options.manifests.append(str(path))
        if options.chart is None and not options.files and not example.set:
            # a manifests-only example: the values side is the contract defaults
            pass
    if example.policies:  # an SL901 example: its policy files in a folder given to --policy
        folder = directory / "policies"
        folder.mkdir(exist_ok=True)
        for name, text in example.policies:
            (folder / name).write_text(text, encoding="utf-8")
        options.policies = [str(folder)]
    options.set = [(expression, "set") for expression in example.set]
    for key, value in (example.options or {}).items():
        setattr(options, key.replace("-", "_"), value)
    return options


def run_example(example, directory: Path, select=None):
    return run_in(directory, example_options(example, directory, select))


def run_in(directory: Path, options: Options):
    """The pipeline on `options`, run from `directory` as a user in that folder would."""
    old = os.getcwd()
    os.chdir(directory)
    try:
        return run(options)
    finally:
        os.chdir(old)


def all_examples():
    """(rule, example, failing?) for every example of every rule."""
    for rule in load_catalog().values():
        for i, example in enumerate(rule.failing):
            yield pytest_id(rule, "fail", i), rule, example, True
        for i, example in enumerate(rule.passing):
            yield pytest_id(rule, "pass", i), rule, example, False


def pytest_id(rule, kind, i):
    return f"{rule.id}-{kind}{i}"


def cli(*args, cwd=None, stdin=None, env=None, timeout=120):
    """Run `python -m starter_lint` as a user would; returns CompletedProcess (text)."""
    full_env = dict(os.environ)
    full_env.pop("STARTER_LINT_DEBUG", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "starter_lint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


# runs the CLI as its only child and writes that child's peak resident memory (KiB) to argv[1]
_MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run([sys.executable, '-m', 'starter_lint', *sys.argv[2:]])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(done.returncode)\n"
)


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) of every child process this test process has waited for,
    their own children included: a test's cost budget is the difference around its run. CPU
    time, not wall time, because the suite runs on two workers beside whatever else shares the
    machine: a load that slows every process must not fail a test, a cost that grows (a
    quadratic loop) must."""
    import resource  # deferred: POSIX only, as the tests that measure children are

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_measured(*args, cwd, stdin=None, timeout=120):
    """`cli`, and the peak resident memory (KiB) of that run alone, its own children included.
    RUSAGE_CHILDREN of the test process would hold the largest child the whole session ever
    waited for (such as a render bomb another test stopped at its memory cap)."""
    peak_file = Path(cwd) / ".peak-rss"
    env = dict(os.environ)
    env.pop("STARTER_LINT_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(peak_file), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    peak = int(peak_file.read_text())
    peak_file.unlink()
    return done, peak


def run_in_process(args, cwd):
    """The CLI in this process (fast enough for property tests): (exit code, stdout, stderr)."""
    import contextlib
    import io

    from starter_lint.cli import run_cli

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli(args)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def bench_module(name: str):
    """bench/<name>.py loaded as a module (bench/ is a folder of scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tree_nodes(tree, path=()):
    """Every (path, node) of a JSON-like tree, the tree itself first: for tests that mutate one
    place of a values file or a manifest at a time."""
    yield path, tree
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from tree_nodes(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from tree_nodes(value, (*path, index))


def widget_crd(schema: str, group: str = "example.com") -> str:
    """A CRD of kind Widget (`widgets.<group>`, version v1) whose openAPIV3Schema is `schema`,
    YAML in flow style: the tests' custom resource, each with the schema it tests."""
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        f"metadata: {{name: widgets.{group}}}\nspec:\n  group: {group}\n"
        "  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n"
        "    - name: v1\n      served: true\n      storage: true\n"
        f"      schema:\n        openAPIV3Schema: {schema}\n"
    )
