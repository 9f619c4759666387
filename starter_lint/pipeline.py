"""The one-way pipeline: load → layer → (render) → validate/check → relate → suppress → report.

`run(options)` returns a Report; the CLI only turns options into Options and the Report into
output and an exit code.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from . import speedups, suppress
from .catalog import Catalog, load_catalog
from .checks import CHECKS, load_checks
from .context import Context
from .errors import StarterLintError
from .findings import Finding, Location, Problem, format_path
from .finish import cleaned, deduped, placed, reported_once_across_targets
from .options import Options, rule_matches
from .paths import display_path, repo_relative
from .records import replace
from .redact import MIN_FINDING_SCRUB_LENGTH, redact_url, scrub
from .redact_source import manifest_secret_columns, secret_columns, secret_strings
from .related import relate
from .results import Report, TargetResult
from .targets import SUBCHART_DEFAULTS_RULES, Target, plan_targets
from .textio import split_lines


def build_context(target: Target, options: Options) -> tuple:
    """Load and layer one target's values. Returns (Context, load problems as (rule, Problem))."""
    problems: list = []
    if target.manifests and not (target.files or target.set or target.chart):
        # a manifests-only target layers no values: no contract defaults, no values loader
        return Context(target=target.name, options=options), problems
    from .values.layers import Layer, layer_values  # deferred: only a target with values
    from .values.load import base_layer, read_values_file  # deferred: only a target with values
    from .values.setfile import set_file_reader  # deferred: only a target with values

    base, chart, base_problems = base_layer(target.chart, options.cwd)
    problems.extend(base_problems)
    loaded_files, errors, layers = [], [], []
    for path in target.files:
        loaded, error = read_values_file(
            path, options.cwd, chart_defaults=target.chart_defaults, helm_version=options.helm_version
        )
        shown = display_path(path, options.cwd)
        if error is not None:
            errors.append((shown, error))
            problems.append(
                (
                    "SL102",
                    Problem(
                        f"{shown} is not a values file Helm can read: {error.message}",
                        location=Location(shown, error.line, error.col),
                        key="load",
                    ),
                )
            )
            continue
        assert loaded is not None  # read_values_file gives the file or its error
        loaded_files.append(loaded)
        layers.append(Layer(shown, "file", loaded.data, loaded))
    values = layer_values(
        base,
        layers,
        target.set,
        set_file_reader(options.cwd, target.set_files),
        tree=chart.tree if chart is not None else None,
    )
    ctx = Context(
        target=target.name,
        values=values,
        loaded=loaded_files,
        load_errors=errors,
        chart=chart,
        options=options,
        chart_defaults=target.chart_defaults,
        subchart_defaults=target.subchart_defaults,
    )
    return ctx, problems


def to_finding(rule_id: str, problem: Problem, ctx: Context, catalog: Catalog, options: Options) -> Finding:
    rule = catalog.get(rule_id)
    if rule is None:
        raise StarterLintError(f"internal: a check reported {rule_id}, which has no rules/ file")
    if problem.location is not None:
        location = problem.location
    elif problem.path is not None and ctx.values is not None:
        location = ctx.values.locate_key(problem.path) if problem.at_key else ctx.locate(problem.path)
    else:
        location = Location(
            ctx.values.primary_file if ctx.values and ctx.values.primary_file else ctx.target, 1, 1
        )
    severity = options.severity_overrides.get(rule_id) or problem.severity or rule.severity
    logical = problem.logical or (format_path(problem.path) if problem.path else "")
    notes: tuple[str, ...] = ()
    origin = ctx.origin(problem.path) if problem.location is None and problem.path is not None else None
    if origin is not None and origin.kind == "set":  # no file line set it: say what did
        notes = (f"the value comes from {origin.describe()}",)
    return Finding(
        rule=rule_id,
        name=rule.name,
        severity=severity,
        message=problem.message,
        location=location,
        logical=logical,
        target=ctx.target,
        template=problem.template,
        fix=problem.fix,
        key=problem.key or "",
        path=tuple(problem.path or ()),
        notes=notes,
    )


def run_checks(ctx: Context, options: Options, catalog: Catalog) -> tuple:
    """Every selected check that has what it needs: (Findings, ids of the checks that ran)."""
    findings, ran = [], []
    available = {
        area
        for area, present in (("values", ctx.values is not None), ("manifests", ctx.manifests is not None))
        if present
    }
    for rule_id, spec in sorted(load_checks(available).items()):
        if not options.selects(rule_id):
            continue
        if spec.needs == "values" and ctx.values is None:
            continue
        if spec.needs == "chart" and (ctx.chart is None or ctx.values is None):
            continue  # a chart rule reads the values layered over the chart: none when they failed
        if spec.needs == "manifests" and ctx.manifests is None:
            continue
        if ctx.chart_defaults and catalog[rule_id].scope != "file":
            continue  # chart defaults are no deployment: placeholders, missing env … are expected
        if ctx.subchart_defaults and rule_id not in SUBCHART_DEFAULTS_RULES:
            continue  # a third-party chart's defaults: the starter's values contract is not theirs
        ran.append(rule_id)
        for problem in spec.function(ctx) or ():
            findings.append(to_finding(rule_id, problem, ctx, catalog, options))
    return findings, tuple(ran)


def _start_policies(ctx: Context, options: Options, catalog: Catalog):
    """The target's policy stage (policy/run.py) started in the limited child (policy/limits.py),
    which computes while this process runs the shipped checks and hands back its findings
    finished (`_finish_policy_findings`); None when no policy runs here."""
    if ctx.policies is None:
        return None
    from .policy.limits import Pending, start_limited  # deferred: only runs with --policy
    from .policy.run import policy_stage  # deferred: only runs with --policy

    files = ctx.policies.files
    try:
        stage = policy_stage(ctx, options.selects)
    except StarterLintError as refused:  # raised where the stage's result is taken, after the checks
        return Pending(partial(_raise, refused), files, None)
    if stage is None:
        return None
    return start_limited(lambda: _finish_policy_findings(stage(), ctx, options, catalog), files)


def _raise(error: Exception):
    raise error


def _finish_policy_findings(problems: list, ctx: Context, options: Options, catalog: Catalog) -> list:
    """The policies' findings as run_target finishes every finding (finish.py), with the secrets
    run_target uses whenever a target has findings. A policy's finding is never the owner or a
    consequence of another rule's (related.py), so relating them alone changes nothing: they
    are not related."""
    if not problems:
        return []
    findings = placed(
        [to_finding(rule_id, problem, ctx, catalog, options) for rule_id, problem in problems], ctx
    )
    return cleaned(findings, ctx, secret_strings(ctx, with_manifests=True), options.cwd, options.fingerprints)


_HELM_SCHEMA_REFUSAL = "values don't meet the specifications of the schema"


def _attach_manifests(ctx: Context, target: Target, options: Options) -> list:
    """Load given manifests, or render the chart; returns load problems as (rule, Problem)."""
    if not target.manifests and not (target.chart and options.render):
        return []
    from .manifests import stream  # deferred: only with --manifests or --chart

    if target.manifests:
        from .checks.manifests import validation_ahead  # deferred: only with --manifests

        ctx.manifests = stream.load_paths(target.manifests, options, validation_ahead(options))
    else:
        from . import render  # deferred: only --chart renders (subprocess, resource limits)

        # a target with neither returned above; one with a chart always layers values
        assert target.chart is not None and ctx.values is not None

        try:
            ctx.manifests = render.render_chart(target.chart, ctx, options)
        except render.RenderFailed as exc:
            # Helm refusing the values on the chart's own values.schema.json is always the values'
            # mistake (the drop-in schema is stricter than the contract's check: unknown keys)
            refused_by_schema = _HELM_SCHEMA_REFUSAL in str(exc)
            from .validate.values_schema import violations  # deferred: only a failed render asks

            if not (refused_by_schema or violations(ctx.values.values)) or not options.selects("SL705"):
                # valid values the chart cannot render are the chart's problem; and a failure
                # nothing would report (SL705 not selected) must not pass: exit 2 either way. A
                # template may print a value in its error (`fail`, `required`): never a secret
                shown = scrub(redact_url(str(exc)), secret_strings(ctx), MIN_FINDING_SCRUB_LENGTH)
                raise render.RenderFailed(shown) from None
            # the user's values break the contract and the render: report them (SL100 …) and the
            # render failure (SL705) as findings, so a values mistake is not a tool failure
            ctx.render_error = str(exc)
            return []
    return list(ctx.manifests.problems)


def run_target(target: Target, options: Options, catalog: Catalog) -> TargetResult:
    ctx, problems = build_context(target, options)
    if options.policies:
        from .policy.load import load_policies  # deferred: only runs with --policy

        ctx.policies = load_policies(options.policies, options.cwd)  # cached: read once per run
    if ctx.load_errors or any(problem.key == "chart-values" for _, problem in problems):
        # a values file Helm cannot read fails the deploy by itself: report that alone, not what
        # the rules make of the remaining layers (mostly the chart's defaults), nor a render of
        # them. A chart's (or subchart's) values.yaml too: Helm refuses to load the chart at all
        ctx.values = None
    rendered = target if ctx.values is not None or target.manifests else replace(target, chart=None)
    problems += _attach_manifests(ctx, rendered, options)
    with speedups.live_objects_frozen():
        return _checked(target, options, catalog, ctx, problems)


def _checked(
    target: Target, options: Options, catalog: Catalog, ctx: Context, problems: list
) -> TargetResult:
    """run_target once the target's values and manifests are loaded: its checks, policies and
    findings."""
    pending = _start_policies(ctx, options, catalog)
    try:
        findings = [
            to_finding(rule_id, problem, ctx, catalog, options)
            for rule_id, problem in problems
            if options.selects(rule_id)
        ]
        checked, rules_run = run_checks(ctx, options, catalog)
        # one mistake, one finding: consequences become related locations of their owner, before
        # the trace moves rendered findings to values lines (a related location keeps where it is seen)
        findings = placed(relate(findings + checked), ctx)
        sources = {loaded.path: loaded.text for loaded in ctx.loaded}
        if ctx.manifests is not None:
            sources.update(getattr(ctx.manifests, "sources", {}) or {})
        # the manifests' secrets only matter to findings' texts and excerpts: none (and no inline
        # directive that SL107 may report after the run, showing its line), no need to look; with
        # findings, these are finished while the policy stage may still be computing
        directive_lines = _directive_lines(sources, ctx, options)
        secrets = secret_strings(ctx, with_manifests=bool(findings or directive_lines))
        findings = cleaned(findings, ctx, secrets, options.cwd, options.fingerprints)
        policy_findings = pending.result() if pending is not None else []
    except BaseException:  # a check's error is the run's: the policy stage ends unread
        if pending is not None:
            pending.stop()
        raise
    if policy_findings and not findings:  # finished in the child with the manifests' secrets
        secrets = secret_strings(ctx, with_manifests=True)
    findings += policy_findings
    if ctx.policies is not None:
        from .policy.run import policies_run  # deferred: only runs with --policy

        rules_run += policies_run(ctx, options.selects)
    located: dict = {}
    # the manifest lines an excerpt may show: where each secret is (only the text format shows
    # excerpts, and not with --quiet: then nothing reads them)
    if ctx.manifests is not None and options.format == "text" and not options.quiet:
        wanted: dict = {path: set(lines) for path, lines in directive_lines.items()}
        for finding in findings:
            wanted.setdefault(finding.location.path, set()).add(finding.location.line)
        located = manifest_secret_columns(ctx.manifests, wanted)
    result = TargetResult(
        name=target.name,
        findings=deduped(findings),
        files=[display_path(p, options.cwd) for p in target.files]
        + list(getattr(ctx.manifests, "files", []) or []),
        objects=len(ctx.manifests.objects) if ctx.manifests is not None else 0,
        sources=sources,
        secrets=secrets,
        target=target,
        rules_run=rules_run,
        secret_columns={loaded.path: secret_columns(loaded) for loaded in ctx.loaded},
        manifest_secret_columns=located,
    )

    suppress.apply(result, ctx, options)
    return result


def _directive_lines(sources: dict[str, str], ctx: Context, options: Options) -> dict[str, list[int]]:
    """The lines of the target's files (values files and manifests) that hold an inline
    `starter-lint` directive, by path, when the target has manifests and SL107 may report such a
    directive after the run (judged over all targets): its finding shows that line, which may
    hold a secret of the manifests (or of a chart's render) or a comment naming one."""
    if ctx.manifests is None or not options.selects("SL107"):
        return {}
    return {
        path: [number for number, line in enumerate(split_lines(text), 1) if "starter-lint" in line]
        for path, text in sources.items()
        if text and "starter-lint" in text
    }


def _check_extra_rules(options: Options, catalog) -> None:
    """Rules from config `rule-dirs` are data: they may re-describe a shipped rule, but a new rule
    id has no check (Python from a repository is never loaded), so it would never fire."""
    if not options.rule_dirs:
        return

    load_checks()
    # SL901 and the values policies' ids (never SL...) are run by policy/run.py, not by checks
    from .policy.run import SHIPPED_RULES  # deferred: only a config with rule-dirs asks

    for rule_id in catalog:
        if rule_id not in CHECKS and rule_id not in SHIPPED_RULES and rule_id.startswith("SL"):
            raise StarterLintError(
                f"{catalog[rule_id].source}: no check implements {rule_id}; rule-dirs hold "
                "rule files for the shipped checks only (Python rules are not loaded; "
                "user-written rules will come as CEL policies)"
            )


def check_rule_patterns(options: Options, catalog) -> None:
    """A --select/--ignore pattern that names no rule is a typo (SL3O1): fail, never pass silently."""
    for option, patterns in (("--select", options.select or ()), ("--ignore", options.ignore)):
        for pattern in patterns:
            if (option[2:], pattern) in options.config_selectors:
                continue  # the config's: a warning line if no policy of it is loaded (policy/load.py)
            if "/" in pattern:  # one admission policy (SL901/name): a policy --policy loads
                from .policy.load import unknown_policy  # deferred: only a policy selector asks

                problem = unknown_policy(pattern, options)
                if problem:
                    raise StarterLintError(f"{option} {pattern}: {problem}")
            elif not any(rule_matches(rule_id, [pattern]) for rule_id in catalog):
                raise StarterLintError(f"{option} {pattern} matches no rule; `starter-lint rules` lists them")


def run_catalog(options: Options) -> Catalog:
    """The run's rules: shipped, config rule-dirs, and the values policies of --policy."""
    if not options.policies:
        return load_catalog(tuple(options.rule_dirs))
    from .policy.load import policy_catalog  # deferred: only runs with --policy

    return policy_catalog(options)


def run(options: Options) -> Report:
    catalog = run_catalog(options)
    _check_extra_rules(options, catalog)
    check_rule_patterns(options, catalog)
    for crd in options.crds:
        if not Path(crd).exists():
            raise StarterLintError(f"--crd {crd}: no such file or folder")
    targets = plan_targets(options)
    if (options.jobs or 1) > 1 and len(targets) > 1 and "-" not in [m for t in targets for m in t.manifests]:
        from .turns import in_turns  # deferred: only -j N

        # this process and forked children take the targets in turns, each the next one when it
        # is free; reports in the targets' order, as a serial run makes them, and an error in a
        # target (exit 2) raised after every earlier target was checked, as a serial run raises it
        results = in_turns(lambda target: run_target(target, options, catalog), targets, options.jobs, 0)
    else:
        results = [run_target(target, options, catalog) for target in targets]
    if options.selects("SL107"):
        _report_unused_suppressions(results, options, catalog)
    reported_once_across_targets(results)
    return Report(targets=results, fail_on=options.fail_on)


def _report_unused_suppressions(results: list, options: Options, catalog) -> None:
    """SL107 is judged over the whole run: a disable in a file several targets share, or an
    ignore for one environment, is unused only when no target used it. Its findings are
    suppressed like any other (`disable=SL104,SL107`, an ignore, the baseline): inline disables
    first, so that an ignore of SL107 counts as used before ignores are judged."""
    extended = set()  # the targets given SL107 findings: the others are in order already (finish.deduped)
    for judge in (
        lambda: suppress.unused_inline(results, catalog, options),
        lambda: suppress.unused_ignores(results, options, catalog),
    ):
        for index, problem in judge():
            result = results[index]
            finding = to_finding(
                "SL107", problem, Context(target=result.name, options=options), catalog, options
            )
            if options.fingerprints:
                finding = finding.with_(fingerprint_path=repo_relative(finding.location.path, options.cwd))
            result.findings.extend(suppress.mark([finding], result, None, options))
            extended.add(index)
    for index in extended:
        results[index].findings.sort(key=Finding.sort_key)
