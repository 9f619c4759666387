"""What a SARIF file needs for GitHub code scanning: the SARIF 2.1.0 schema plus the upload and
display rules GitHub documents, checked by the tests on everything `--format sarif` writes.

`problems(log, repo_root)` returns one line per problem ("<json path>: <what>"); an empty list is
a file GitHub accepts and can place in the repository. The schema is the OASIS 2.1.0 errata-01
file in tests/data/sarif (see its NOTICE). The rules, each a short comment with why:
- upload-sarif refuses: schema failures, version other than 2.1.0, a run without `results`, a
  result without a physical location and a non-empty artifact URI, a URI with another scheme
  than the checkout's (`file`), an unparsable URI, line/column numbers below 1, a
  `security-severity` that is not a numeric string, two runs of one category, the size limits
  (10 MB gzipped, 20 runs, 25,000 results or rules per run, 1,000 locations per result).
- GitHub's docs mark as required: `$schema`, driver name and version, rules with
  `shortDescription`/`fullDescription`/`help` text (at most 1,024 characters), result
  `message.text`, and a `startLine` on the location it shows.
- Placement in the repository (with `repo_root`): the path exists as written (case and no
  symlink on the way: GitHub matches committed files), and the region lies inside the file.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema

SCHEMA = Path(__file__).resolve().parent / "data" / "sarif" / "sarif-schema-2.1.0.json"

MAX_GZIP_BYTES = 10_000_000
MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20
MAX_DESCRIPTION = 1_024
MAX_RULE_NAME = 255
LEVELS = {"none", "note", "warning", "error"}
RULE_LEVELS = {"note", "warning", "error"}
PRECISIONS = {"very-high", "high", "medium", "low"}
PROBLEM_SEVERITIES = {"error", "warning", "recommendation"}
# RFC 3986: unreserved, sub-delims, ":" "@" "/" and percent escapes; "?" "#" "[" "]" are
# refused on their own below because GitHub cannot map them to a file.
_URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_LINK = re.compile(r"(?<!\\)\[(?:[^\]\\]|\\.)*\]\((\d+)\)")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def problems_in_file(path: Path, repo_root: Path | None = None) -> list[str]:
    raw = path.read_bytes()
    try:
        log = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return [f"(file): not UTF-8 JSON: {error}"]
    found = list(problems(log, repo_root))
    if len(gzip.compress(raw)) > MAX_GZIP_BYTES:
        found.append(f"(file): larger than {MAX_GZIP_BYTES} bytes gzipped")
    return found


def problems(log: Any, repo_root: Path | None = None) -> list[str]:
    found = [
        f"{_pointer(error.absolute_path)}: schema: {error.message}" for error in _validator().iter_errors(log)
    ]
    if not isinstance(log, dict):
        return found
    found += list(_log_problems(log, repo_root))
    return found


def _pointer(parts) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return text.lstrip(".") or "(root)"


def _text(value: Any) -> str | None:
    return value.get("text") if isinstance(value, dict) else None


def _log_problems(log: dict, root: Path | None) -> Iterator[str]:
    if not log.get("$schema"):
        yield "$schema: missing"
    if log.get("version") != "2.1.0":
        yield f"version: {log.get('version')!r} is not 2.1.0"
    runs = log.get("runs") or []
    if not 1 <= len(runs) <= MAX_RUNS:
        yield f"runs: {len(runs)} runs (1 to {MAX_RUNS})"
    categories: dict = {}
    for i, run in enumerate(runs):
        if not isinstance(run, dict):
            continue
        driver = (run.get("tool") or {}).get("driver") or {}
        auto = run.get("automationDetails") or {}
        category = auto.get("id", "").rpartition("/")[0] if "id" in auto else None
        key = (
            driver.get("name"),
            driver.get("fullName"),
            driver.get("version"),
            driver.get("semanticVersion"),
            driver.get("guid"),
            category,
        )
        if key in categories:
            yield f"runs[{i}]: same category as runs[{categories[key]}] (GitHub refuses the upload)"
        categories.setdefault(key, i)
        if "id" in auto and not auto["id"]:
            yield f"runs[{i}].automationDetails.id: empty"
        yield from _run_problems(f"runs[{i}]", run, driver, root)


def _run_problems(where: str, run: dict, driver: dict, root: Path | None) -> Iterator[str]:
    if not driver.get("name"):
        yield f"{where}.tool.driver.name: missing"
    if not (driver.get("version") or driver.get("semanticVersion")):
        yield f"{where}.tool.driver: neither version nor semanticVersion"
    if "semanticVersion" in driver and not _SEMVER.match(str(driver["semanticVersion"])):
        yield f"{where}.tool.driver.semanticVersion: not SemVer 2.0.0"
    for name, base in (run.get("originalUriBaseIds") or {}).items():
        base_uri = base.get("uri", "") if isinstance(base, dict) else ""
        if base_uri and (not _scheme(base_uri) or not base_uri.endswith("/")):
            # GitHub reads every relative URI from the repository root whatever the base says
            yield f"{where}.originalUriBaseIds.{name}: an absolute URI ending in / is required"
    rules = driver.get("rules")
    if rules is None:
        yield f"{where}.tool.driver.rules: missing"
        rules = []
    if len(rules) > MAX_RULES:
        yield f"{where}.tool.driver.rules: more than {MAX_RULES}"
    ids: dict = {}
    for j, rule in enumerate(rules):
        rule_id = rule.get("id")
        if rule_id in ids:
            yield f"{where}.tool.driver.rules[{j}].id: {rule_id!r} twice"
        ids.setdefault(rule_id, j)
        yield from _rule_problems(f"{where}.tool.driver.rules[{j}]", rule)
    results = run.get("results")
    if results is None:
        yield f"{where}.results: missing (GitHub refuses the run)"
        return
    if len(results) > MAX_RESULTS:
        yield f"{where}.results: more than {MAX_RESULTS}"
    if results and not run.get("columnKind"):
        yield f"{where}.columnKind: missing"
    utf16 = run.get("columnKind", "utf16CodeUnits") == "utf16CodeUnits"
    for k, result in enumerate(results):
        yield from _result_problems(f"{where}.results[{k}]", result, rules, ids, root, utf16)


def _rule_problems(where: str, rule: dict) -> Iterator[str]:
    for field in ("shortDescription", "fullDescription", "help"):
        text = _text(rule.get(field))
        if not text:
            yield f"{where}.{field}.text: missing or empty"
        elif len(text) > MAX_DESCRIPTION and field != "help":
            yield f"{where}.{field}.text: longer than {MAX_DESCRIPTION} characters"
    if len(rule.get("name", "")) > MAX_RULE_NAME:
        yield f"{where}.name: longer than {MAX_RULE_NAME} characters"
    if "helpUri" in rule and not _SCHEME.match(rule["helpUri"]):
        yield f"{where}.helpUri: not an absolute URI"
    level = (rule.get("defaultConfiguration") or {}).get("level")
    if level is not None and level not in RULE_LEVELS:
        yield f"{where}.defaultConfiguration.level: {level!r}"
    props = rule.get("properties") or {}
    tags = props.get("tags", [])
    if len(tags) > MAX_TAGS or not all(isinstance(t, str) for t in tags):
        yield f"{where}.properties.tags: at most {MAX_TAGS} strings"
    if "precision" in props and props["precision"] not in PRECISIONS:
        yield f"{where}.properties.precision: {props['precision']!r}"
    severity = (
        (props.get("problem") or {}).get("severity")
        if isinstance(props.get("problem"), dict)
        else props.get("problem.severity")
    )
    if severity is not None and severity not in PROBLEM_SEVERITIES:
        yield f"{where}.properties.problem.severity: {severity!r}"
    if "security-severity" in props:
        value = props["security-severity"]
        try:
            number = float(value) if isinstance(value, str) else None
        except ValueError:
            number = None
        if number is None or not 0.0 <= number <= 10.0:
            yield f"{where}.properties.security-severity: {value!r} is not a numeric string from 0 to 10"


def _result_problems(
    where: str, result: dict, rules: list, ids: dict, root: Path | None, utf16: bool
) -> Iterator[str]:
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id")
    if rule_id is None:
        yield f"{where}.ruleId: missing"
    elif rule_id.split("/")[0] not in ids and rule_id not in ids:
        yield f"{where}.ruleId: {rule_id!r} is not among the run's rules"
    if "ruleIndex" in result:
        index = result["ruleIndex"]
        if not 0 <= index < len(rules) or rules[index].get("id") != rule_id:
            yield f"{where}.ruleIndex: {index} does not name rule {rule_id!r}"
    if result.get("level", "warning") not in LEVELS:
        yield f"{where}.level: {result.get('level')!r}"
    message = _text(result.get("message"))
    if not message:
        yield f"{where}.message.text: missing or empty"
    related = result.get("relatedLocations") or []
    related_ids = {r.get("id") for r in related}
    for link in _LINK.findall(message or ""):
        if int(link) not in related_ids:
            yield f"{where}.message.text: link to location {link}, which relatedLocations lacks"
    for n, location in enumerate(related):
        if "message" not in location:
            yield f"{where}.relatedLocations[{n}].message: missing"
        yield from _location_problems(f"{where}.relatedLocations[{n}]", location, None, utf16)
    locations = result.get("locations") or []
    if not 1 <= len(locations) <= MAX_LOCATIONS:
        yield f"{where}.locations: {len(locations)} locations (1 to {MAX_LOCATIONS})"
    for n, location in enumerate(locations):
        yield from _location_problems(
            f"{where}.locations[{n}]", location, root if n == 0 else None, utf16, primary=n == 0
        )
    for key, value in (result.get("partialFingerprints") or {}).items():
        if not isinstance(value, str) or not value:
            yield f"{where}.partialFingerprints.{key}: empty"


def _location_problems(
    where: str, location: dict, root: Path | None, utf16: bool, primary: bool = False
) -> Iterator[str]:
    physical = location.get("physicalLocation")
    if not isinstance(physical, dict):
        yield f"{where}.physicalLocation: missing (GitHub refuses the result)"
        return
    artifact = physical.get("artifactLocation") or {}
    uri = artifact.get("uri")
    if not isinstance(uri, str) or not uri:
        yield f"{where}.physicalLocation.artifactLocation.uri: missing or empty"
        return
    for what in _uri_problems(uri):
        yield f"{where}.physicalLocation.artifactLocation.uri: {uri!r}: {what}"
    if "uriBaseId" in artifact and _scheme(uri):
        yield f"{where}.physicalLocation.artifactLocation.uriBaseId: beside an absolute URI"
    region = physical.get("region")
    if region is None:
        if primary:
            yield f"{where}.physicalLocation.region: missing (no startLine)"
        return
    if primary and "startLine" not in region:
        yield f"{where}.physicalLocation.region.startLine: missing"
    for field in ("startLine", "startColumn", "endLine", "endColumn"):
        if field in region and region[field] < 1:
            yield f"{where}.physicalLocation.region.{field}: below 1"
    start, end = region.get("startLine", 1), region.get("endLine", region.get("startLine", 1))
    if end < start:
        yield f"{where}.physicalLocation.region.endLine: before startLine"
    if end == start and region.get("endColumn", 10**9) < region.get("startColumn", 1):
        yield f"{where}.physicalLocation.region.endColumn: before startColumn"
    if root is not None and not _scheme(uri):
        yield from _placement_problems(where, uri, region, root, utf16)


def _scheme(uri: str) -> str | None:
    match = _SCHEME.match(uri)
    return match.group(1).lower() if match else None


def _uri_problems(uri: str) -> Iterator[str]:
    scheme = _scheme(uri)
    if scheme is not None and scheme != "file":
        yield f"scheme {scheme!r} is not the checkout's (file)"
    if scheme is None and ":" in uri.split("/")[0]:
        yield "':' in the first segment of a relative reference"
    if any(c in uri for c in "[]?#"):
        yield "holds one of [ ] ? # (percent-encode it)"
    if not _URI_CHARS.match(uri.replace("[", "").replace("]", "").replace("?", "").replace("#", "")):
        yield "characters outside RFC 3986 (percent-encode them)"
    if scheme is None:
        if uri.startswith("/"):
            yield "a relative URI with a leading / (GitHub reads it from the repository root)"
        depth = 0
        for part in uri.split("/"):
            depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
            if depth < 0:
                yield "climbs out of the repository with .."
                break


def _placement_problems(where: str, uri: str, region: dict, root: Path, utf16: bool) -> Iterator[str]:
    parts = [unquote(p) for p in uri.split("/") if p not in ("", ".")]
    current = root
    for part in parts:
        names = {p.name for p in current.iterdir()} if current.is_dir() else set()
        if part not in names:
            yield f"{where}: {uri!r} is not in the repository (as written, case included)"
            return
        current = current / part
        if current.is_symlink():
            yield f"{where}: {uri!r} goes through a symlink (GitHub matches committed files)"
            return
    if not current.is_file():
        yield f"{where}: {uri!r} is not a file"
        return
    lines = current.read_bytes().decode("utf-8", errors="replace").splitlines()
    start, end = region.get("startLine", 1), region.get("endLine", region.get("startLine", 1))
    if max(start, end) > max(len(lines), 1):
        yield f"{where}.physicalLocation.region: line {max(start, end)} is past the end ({len(lines)} lines)"
        return

    def width(line_no: int) -> int:
        line = lines[line_no - 1] if lines else ""
        return len(line.encode("utf-16-le")) // 2 if utf16 else len(line)

    if "startColumn" in region and region["startColumn"] > width(start) + 1:
        yield f"{where}.physicalLocation.region.startColumn: past the end of line {start}"
    if "endColumn" in region and region["endColumn"] > width(end) + 2:
        yield f"{where}.physicalLocation.region.endColumn: past the end of line {end}"
