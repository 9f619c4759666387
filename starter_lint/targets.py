"""What a run checks: targets (values layers, chart, manifests), planned from the options.

A target is named by the config (`targets:`) or made from the command line (-f, --chart,
--manifests, a values file named alone); `plan_targets` resolves the options into the list the
pipeline checks one by one, and `choose_targets` keeps those --target names.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from .errors import StarterLintError
from .options import Options
from .records import field, record, replace

# a subchart's own values.yaml (charts/app/charts/postgresql/values.yaml) is a third-party chart's
# defaults: the starter's values contract says nothing of its keys, so only the rules that judge
# the YAML itself run on it (syntax, duplicate keys, ambiguous scalars, unused suppressions)
SUBCHART_DEFAULTS_RULES = ("SL102", "SL103", "SL104", "SL107")


@record
class Target:
    """One set of inputs checked together: values files, --set expressions, chart, manifests."""

    name: str
    files: list[str]  # values files layered in order (-f, or one positional)
    # (expression, kind) of the --set family (option_table.SET_KINDS), in command-line order
    set: list[tuple[str, str]] = field(default_factory=list)
    chart: str | None = None
    manifests: list[str] = field(default_factory=list)
    chart_defaults: bool = False  # a chart's own values.yaml: only file-scope rules run on it
    subchart_defaults: bool = False  # a subchart's own values.yaml: SUBCHART_DEFAULTS_RULES only
    # the config's set-file paths as written -> (the file, where the config names it): relative to
    # the config's folder; a command-line --set-file path is relative to the working directory
    set_files: dict[str, tuple[str, str]] = field(default_factory=dict)


def plan_targets(options: Options) -> list[Target]:
    stdin_users = [
        p for p in list(options.files) + list(options.values_files) + list(options.manifests) if p == "-"
    ]
    if len(stdin_users) > 1:
        raise StarterLintError("standard input (-) can be read once: give it to one of -f and --manifests")
    targets: list[Target] = []
    if options.targets:  # --set applies to every target, as to a file resolved to its target
        targets.extend(replace(t, set=_set_after(t, options)) if options.set else t for t in options.targets)
    if options.files:
        name = options.files[-1] if len(options.files) == 1 else "+".join(options.files)
        targets.append(
            _own_target(name, list(options.files), options, options.chart, list(options.manifests))
        )
    for path in options.values_files:
        for target in file_targets(path, options):
            if all(target.name != planned.name for planned in targets):  # two changed files of one target
                targets.append(target)
    if not targets and (options.chart or options.manifests or options.set):
        # given manifests with no values of a deployment are checked on their own: a chart's
        # defaults (a config's top-level `chart:`) are not what rendered them
        chart = None if options.manifests and not options.set else options.chart
        targets.append(_own_target(options.chart or "manifests", [], options, chart, list(options.manifests)))
    if not targets:
        raise StarterLintError(
            "nothing to check: give values files, -f FILE, --chart DIR or --manifests PATH"
        )
    return targets


def _real(path: str, options: Options) -> str:
    return os.path.realpath(os.path.join(options.cwd or os.getcwd(), path))


def _own_target(
    name: str, files: list[str], options: Options, chart: str | None, manifests: list[str]
) -> Target:
    """A target made from the command line, with the --set family (or the config's top-level one)."""
    return Target(name, files, list(options.set), chart, manifests, set_files=dict(options.config_set_files))


def _set_after(target: Target, options: Options) -> list[tuple[str, str]]:
    """A config target's `set` family, then the command line's. A --set-file path is relative to
    the working directory and the target's `set-file` paths to the config's folder: one path text
    naming two files would be read as the config's, so it is refused."""
    from .values.setargs import set_file_paths  # deferred: only --set-file with a config set-file

    for expression, kind in options.set:
        for path in set_file_paths(expression) if kind == "set-file" and target.set_files else ():
            if path in target.set_files and _real(path, options) != os.path.realpath(
                target.set_files[path][0]
            ):
                raise StarterLintError(
                    f"--set-file {path}: {target.set_files[path][1]} names {path!r} too, relative to "
                    "the config's folder, not the working directory; write one of them differently "
                    "(an absolute path, or ./ before it)"
                )
    return list(target.set) + list(options.set)


def file_targets(path: str, options: Options) -> list[Target]:
    """What a values file named on the command line (as pre-commit names changed files) is
    checked as, so that a file gives the same findings however it is checked:
    - a chart's own values.yaml (in a config target's or --chart's folder, or beside a
      Chart.yaml): chart defaults, checked by the file-scope rules only;
    - a subchart's own values.yaml (beside a Chart.yaml in a folder of another chart's `charts/`,
      and not a config target's or --chart's folder): a third-party chart's defaults, checked by
      the rules that do not involve the values contract (SUBCHART_DEFAULTS_RULES);
    - a file that config targets list: each of those targets, whole (its chart as the base layer,
      its other layers, `set` and `manifests`, then any --set and --manifests given), reported
      under the target's name;
    - another file in a target's chart folder: its own target over that chart;
    - any other file: its own target over the chart defaults (--chart) or the contract's."""
    if path == "-":
        return [
            _own_target(
                path, [path], options, options.chart, [] if options.files else list(options.manifests)
            )
        ]
    real = _real(path, options)
    charts = {_real(c, options) for c in [options.chart] + [t.chart for t in options.config_targets] if c}
    folder = os.path.dirname(real)
    if os.path.basename(real) == "values.yaml" and folder in charts:
        return [Target(path, [path], chart_defaults=True)]
    if os.path.basename(real) == "values.yaml" and os.path.isfile(os.path.join(folder, "Chart.yaml")):
        return [Target(path, [path], chart_defaults=True, subchart_defaults=_is_subchart(folder))]
    listed = [
        replace(t, set=_set_after(t, options), manifests=list(options.manifests) or list(t.manifests))
        for t in options.config_targets
        if real in {_real(f, options) for f in t.files if f != "-"}
    ]
    if listed:
        return listed
    # another values file kept in a chart folder (charts/app/values.prod.yaml) is a deployment's:
    # checked over that chart, as `--chart charts/app -f charts/app/values.prod.yaml` would
    home = next(
        (
            chart
            for chart in sorted(charts, key=len, reverse=True)
            if os.path.commonpath([chart, real]) == chart
        ),
        None,
    )
    chart = (
        options.chart if home is None or options.chart else os.path.relpath(home, options.cwd or os.getcwd())
    )
    return [_own_target(path, [path], options, chart, [] if options.files else list(options.manifests))]


def _is_subchart(folder: str) -> bool:
    """A chart folder kept in another chart's `charts/` folder, as Helm loads a dependency."""
    parent = os.path.dirname(folder)
    return os.path.basename(parent) == "charts" and os.path.isfile(
        os.path.join(os.path.dirname(parent), "Chart.yaml")
    )


def choose_targets(targets: list[Target], names: Collection[str]) -> list[Target]:
    """The targets named by --target, in the config's order; an unknown name is exit 2."""
    known = [t.name for t in targets]
    for name in names:
        if name not in known:
            import difflib  # deferred: only a typo needs a suggestion

            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise StarterLintError(
                f"--target {name}: no such target ({hint}there are: {', '.join(known) or 'none'})"
            )
    return [t for t in targets if t.name in set(names)]
