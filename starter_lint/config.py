"""The config file `.starter-lint.yaml`: defaults for every option, named targets, rule overrides
and ignores. Found upward from the working directory, or given with `--config`.

    fail-on: warning                 # any check option, in its command-line spelling
    select: [SL1, SL3]
    ignore: [SL106]
    kube-version: "1.29"
    rule-dirs: [policies/]           # extra rules/ folders
    crd-dirs: [crds/]                # CRD files or JSON Schemas (like --crd)
    baseline: .starter-lint-baseline.json
    targets:                         # linted in one run, reported per target
      prod: {chart: charts/app, values: [values.yaml, values.prod.yaml], set: [api.replicas=3]}
    rules:
      SL601: {severity: error}       # or `SL601: error`; `enabled: false` skips the rule
    ignores:
      - rules: [SL301]
        paths: ["values/*.yaml"]     # globs relative to this file (** spans folders)
        values-path: "ingress.*"
        resource: "Ingress/*"
        reason: the legacy host is served by the CDN   # required
        expires: 2026-12-31          # optional; afterwards the finding returns with a note

Relative paths are relative to the config file. A config error is exit 2 with `file:line: message`,
and so is a top-level `values`, `manifests` or `set` beside `targets` (they would apply to no
target; a top-level `chart` is the chart of the targets that name none). An `ignores` entry, or a
part of one, that suppresses nothing in a run of the whole config is reported by SL107.
Command-line values override the file (cli_options.build_options applies them afterwards).

The config comes from the repository, which may be a stranger's pull request: discovery stops
at the repository root, every path in it must stay inside the repository (symlinks resolved),
and it names no executable (`kubeconform`, `helm`: command line, environment or PATH only).
"""

from __future__ import annotations

import os
from pathlib import Path

from .catalog import load_catalog
from .config_reader import ConfigError, ConfigReader, canonical_key, load_config
from .findings import Location
from .jsontypes import describe_type
from .option_table import CONFIG_KEYS, SET_KINDS, OptionSpec
from .options import rule_matches, timeout_problem
from .paths import allowed_roots, display_path, refuse_outside_link, repo_root
from .targets import Target

CONFIG_NAMES = (".starter-lint.yaml", ".starter-lint.yml")


def find_config(start: str | None = None) -> Path | None:
    """The nearest .starter-lint.yaml in `start` or one of its parents up to the repository root
    (the folder with `.git`, else `start` itself): a config above the repository is never read."""

    directory = Path(os.path.abspath(start or os.getcwd()))
    root = repo_root(str(directory))
    for folder in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        if folder == root:
            break
    return None


# ---------------------------------------------------------------------------------------------
# Keys and what they set: the option table's config keys (option_table.CONFIG_KEYS)

# keys a config may not have, and why: a repository never chooses the programs that run
_REFUSED = {
    key: f"'{key}' cannot be set in the config: the {key} executable comes only from the command line"
    f"{' (--kubeconform PATH)' if key == 'kubeconform' else ''} or PATH, never from a repository file"
    for key in ("kubeconform", "helm")
}
TOP_KEYS = tuple(sorted(set(CONFIG_KEYS) | {"targets", "rules", "ignores"}))
TARGET_KEYS = ("chart", "manifests", *SET_KINDS, "values")
# with `targets:`, these belong in each target; a top-level `chart:` is the default of targets without one
TARGET_ONLY_KEYS = ("manifests", *SET_KINDS, "values")
RULE_KEYS = ("enabled", "severity")
IGNORE_KEYS = ("expires", "paths", "reason", "resource", "rules", "values-path")
MAX_GLOB_LENGTH = 1024  # far beyond any real path or values path


def apply_config(options, path: str | None) -> None:
    """Fill `options` from the config file (`path`, or the nearest one found upward)."""

    config_path: Path | None
    if path:
        config_path = Path(os.path.abspath(os.path.join(options.cwd or os.getcwd(), path)))
        if not config_path.is_file():
            raise ConfigError(f"--config {path}: no such file")
    else:
        config_path = find_config(options.cwd)
        if config_path is None:
            return
    shown = display_path(config_path, options.cwd)
    # a config symlinked out of the repository is not read (its text would show in errors)
    refuse_outside_link(config_path, allowed_roots(path or config_path, options.cwd), "config", options.cwd)
    reader = ConfigReader(config_path, shown, options.cwd)
    data = load_config(config_path, shown)
    for key in data:
        if canonical_key(key) in _REFUSED:
            raise reader.error(reader.key_line(data, key), _REFUSED[canonical_key(key)])
    reader.check_keys(data, TOP_KEYS, "the config")
    options.config = str(config_path)
    canonical = {canonical_key(key): key for key in data}
    if "targets" in canonical:
        for key in TARGET_ONLY_KEYS:
            if key in canonical:  # a layer beside `targets` would silently apply to none of them
                raise reader.error(
                    reader.key_line(data, canonical[key]),
                    f"top-level '{canonical[key]}' beside 'targets' applies to no target: "
                    f"move it into each target that needs it",
                )
    sets: list = []
    for key in sorted(CONFIG_KEYS, key=lambda k: k != "rule-dirs"):  # rule-dirs first: `rules` needs them
        if key not in canonical:
            continue
        raw_key = canonical[key]
        value, line = data[raw_key], reader.key_line(data, raw_key)
        spec = CONFIG_KEYS[key]
        if spec.kind in SET_KINDS:
            sets += _set_args(reader, spec.kind, value, line, f"'{raw_key}'", options.config_set_files)
            continue
        assert spec.field is not None, "every config key sets an Options field (option_table)"
        setattr(options, spec.field, _convert(reader, spec, value, line, f"'{raw_key}'"))
        if spec.kind == "rules":
            entry_lines = reader.rule_id_lines(value, line)  # the warning names the entry's own line
            for pattern in getattr(options, spec.field) or ():
                if "/" in pattern:
                    options.config_selectors[(spec.field, pattern)] = (
                        f"{reader.shown}:{entry_lines.get(pattern, line)}"
                    )
    if sets:
        options.set = sets
    if "targets" in canonical:
        raw_key = canonical["targets"]
        options.targets = _targets(reader, data[raw_key], reader.key_line(data, raw_key), options)
        options.config_targets = list(options.targets)
    if "rules" in canonical:
        raw_key = canonical["rules"]
        _rules(reader, data[raw_key], reader.key_line(data, raw_key), options)
    if "ignores" in canonical:
        raw_key = canonical["ignores"]
        options.config_ignores = _ignores(reader, data[raw_key], reader.key_line(data, raw_key), options)


def _convert(reader: ConfigReader, spec: OptionSpec | str, value, line: int, what: str):
    """A config value read as its table row says (or as `kind`, for a target's keys)."""
    kind = spec if isinstance(spec, str) else spec.kind
    if kind == "paths":
        return reader.paths(value, line, what)
    if kind == "path":
        return reader.path(reader.string(value, line, what), line, what)
    if kind == "string":
        return reader.string(value, line, what)
    if kind == "version":
        if isinstance(value, float):  # `1.30` unquoted is the number 1.3
            raise reader.error(
                line,
                f"{what} must be a quoted string such as \"{value:.2f}\": YAML reads {value!r} as a number",
            )
        return reader.string(value, line, what)
    if kind == "choice":
        assert isinstance(spec, OptionSpec)
        choices = spec.choices
        # `helm-version: 4` is a number in YAML: a number that is one of the choices is that choice
        numeric = isinstance(value, int) and not isinstance(value, bool) and str(value) in choices
        text = str(value) if numeric else reader.string(value, line, what)
        if text not in choices:
            raise reader.error(line, f"{what} must be one of {', '.join(choices)}, not {text!r}")
        return text
    if kind == "positive-int":
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise reader.error(line, f"{what} must be a positive integer, not {value!r}")
        return value
    if kind == "seconds":
        problem = timeout_problem(value)
        if problem:
            raise reader.error(line, f"{what} {problem}")
        return value
    if kind == "severity":
        return reader.severity(value, line, what)
    if kind == "rules":
        return reader.rule_ids(value, line, what)
    if kind == "bool":
        return reader.boolean(value, line, what)
    raise AssertionError(kind)


# every target is a whole check (values, maybe a render): a stranger's config of 36,000 targets
# sharing one file would run for minutes. Real repositories have a few environments.
MAX_TARGETS = 200


def _targets(reader: ConfigReader, value, line: int, options) -> list:
    targets = []
    specs = reader.mapping(value, line, "'targets'")
    if len(specs) > MAX_TARGETS:
        raise reader.error(
            line,
            f"'targets' has {len(specs)} targets; at most {MAX_TARGETS} are checked in one run "
            "(split the config, or choose with --target)",
        )
    for name, spec in specs.items():
        spec_line = reader.key_line(value, name)
        spec = reader.mapping(spec, spec_line, f"target '{name}'")
        reader.check_keys(spec, TARGET_KEYS, f"target '{name}'")
        fields = {canonical_key(k): (spec[k], reader.key_line(spec, k)) for k in spec}

        def get(key, kind, default=None, _fields=fields, _name=name):
            if key not in _fields:
                return default
            raw, key_line = _fields[key]
            return _convert(reader, kind, raw, key_line, f"'{key}' of target '{_name}'")

        sets: list = []
        set_files: dict = {}
        for key in SET_KINDS:
            if key in fields:
                raw, key_line = fields[key]
                sets += _set_args(reader, key, raw, key_line, f"'{key}' of target '{name}'", set_files)
        target = Target(
            name=str(name),
            files=get("values", "paths", []),
            set=sets,
            set_files=set_files,
            chart=get("chart", "path", options.chart),
            manifests=get("manifests", "paths", []),
        )
        if not (target.files or target.manifests or target.chart or target.set):
            raise reader.error(
                spec_line, f"target '{name}' has nothing to check: give values, manifests or chart"
            )
        targets.append(target)
    return targets


def _set_args(
    reader: ConfigReader, kind: str, value, line: int, what: str, set_files: dict
) -> list[tuple[str, str]]:
    """(expression, kind) of a config's `set`, `set-json`, … list. A `set-file` path is relative
    to the config's folder, as its other paths are (a command-line --set-file path is relative to
    the working directory, as Helm's), and must stay inside the repository; `set_files` receives
    each path as written -> (the file, where the config names it) for the reader
    (values/setfile.py)."""
    expressions = reader.strings(value, line, what)
    if kind == "set-file":
        from .values.setargs import set_file_paths  # deferred: only a config with set-file

        for expression in expressions:
            for path in set_file_paths(expression):
                if path and path != "-":  # the setfile reader refuses those with its own words
                    set_files[path] = (reader.path(path, line, f"{what} path"), f"{what} in {reader.shown}")
    return [(expression, kind) for expression in expressions]


def _run_catalog(options):
    """The rules the config may name: with its `policies:`, their ids too."""
    if not options.policies:
        return load_catalog(tuple(options.rule_dirs))
    from .pipeline import run_catalog  # deferred: only a config with policies loads them here

    return run_catalog(options)


def _rules(reader: ConfigReader, value, line: int, options) -> None:

    catalog = _run_catalog(options)
    for rule_id, spec in reader.mapping(value, line, "'rules'").items():
        rule_line = reader.key_line(value, rule_id)
        key = str(rule_id).strip().upper()
        if key not in catalog:
            import difflib  # deferred: only a typo needs a suggestion

            close = difflib.get_close_matches(key, list(catalog), n=1, cutoff=0.6)
            raise reader.error(
                rule_line, f"unknown rule '{rule_id}'" + (f"; did you mean '{close[0]}'?" if close else "")
            )
        if isinstance(spec, str):
            spec = {"severity": spec}
        spec = reader.mapping(spec, rule_line, f"rule {key}")
        reader.check_keys(spec, RULE_KEYS, f"rule {key}")
        for field_name in spec:
            field_line = reader.key_line(spec, field_name)
            if canonical_key(field_name) == "severity":
                options.severity_overrides[key] = reader.severity(
                    spec[field_name], field_line, f"severity of {key}"
                )
            elif not reader.boolean(spec[field_name], field_line, f"'enabled' of {key}"):
                options.ignore = list(options.ignore) + [key]


def _ignores(reader: ConfigReader, value, line: int, options) -> list:
    from .suppress.ignores import (
        ConfigIgnore,
    )  # deferred: the suppress package only when a config has ignores

    catalog = _run_catalog(options)

    if not isinstance(value, list):
        raise reader.error(line, f"'ignores' must be a list of entries, not {describe_type(value)}")
    out = []
    for index, entry in enumerate(value):
        entry_line = reader.item_line(value, index, line)
        entry = reader.mapping(entry, entry_line, "each entry of 'ignores'")
        reader.check_keys(entry, IGNORE_KEYS, "an 'ignores' entry")
        fields = {canonical_key(k): (entry[k], reader.key_line(entry, k)) for k in entry}
        if "reason" not in fields:
            raise reader.error(entry_line, "this ignore has no 'reason': say why the finding is accepted")
        reason = reader.string(*fields["reason"], "'reason'").strip()
        if not reason:
            raise reader.error(fields["reason"][1], "'reason' must not be empty")
        selectors = {
            key: reader.strings(*fields[key], f"'{key}'")
            for key in ("paths", "values-path", "resource")
            if key in fields
        }
        for key, patterns in selectors.items():
            # a glob matches in time glob length x path length: a 40,000-character one took seconds
            if any(len(p) > MAX_GLOB_LENGTH for p in patterns):
                raise reader.error(
                    fields[key][1], f"'{key}': a pattern longer than {MAX_GLOB_LENGTH} characters"
                )
        rules = tuple(reader.rule_ids(*fields["rules"], "'rules'")) if "rules" in fields else ()
        for pattern in rules:
            if pattern.startswith("SL901/"):
                continue  # one admission policy: the run's --policy may load it; SL107 says if it is unused
            if not any(rule_matches(rule_id, [pattern]) for rule_id in catalog):
                import difflib  # deferred: only a typo needs a suggestion

                close = difflib.get_close_matches(pattern, list(catalog), n=1, cutoff=0.6)
                raise reader.error(
                    fields["rules"][1],
                    f"'rules': {pattern} names no rule"
                    + (f"; did you mean '{close[0]}'?" if close else "; `starter-lint rules` lists them"),
                )
        if not rules and not any(selectors.values()):
            raise reader.error(
                entry_line, "this ignore matches everything: give rules, paths, values-path or resource"
            )
        expires = reader.date(*fields["expires"], "'expires'") if "expires" in fields else None
        out.append(
            ConfigIgnore(
                reason=reason,
                rules=rules,
                paths=tuple(selectors.get("paths", ())),
                values_paths=tuple(selectors.get("values-path", ())),
                resources=tuple(selectors.get("resource", ())),
                expires=expires,
                base_dir=str(reader.base_dir),
                where=f"{reader.shown}:{entry_line}",
                location=Location(reader.shown, entry_line, 1),
            )
        )
    return out
