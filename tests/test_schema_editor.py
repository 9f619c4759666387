"""The editor schema (`starter-lint schema`) and release links (issue 10 item 9): editors offer the
contract's env variables and their allowed values, messages never name internal definitions, and
SARIF helpUri and the README name the release tag of this version and anchors that exist."""

from __future__ import annotations

import json
import re

from starter_lint import __version__
from starter_lint.catalog import load_catalog
from starter_lint.checks.billing import WORKER_SETTINGS
from starter_lint.checks.env import AUTH_KEY_STORAGE_BACKEND, REQUIRED_ENV, SECRETS_PROVIDERS
from starter_lint.report.sarif_format import help_uri
from starter_lint.tree import walk

from .support import REPO, cli

SCHEMA = json.loads((REPO / "schemas" / "values.schema.json").read_text(encoding="utf-8"))
DEFINITIONS = SCHEMA["definitions"]


def _resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        node = DEFINITIONS[node["$ref"].rsplit("/", 1)[1]]
    return node


def _env_schema(component: str) -> dict:
    return _resolve(SCHEMA["properties"][component]["properties"]["env"])


def _editor_type_name(node: dict) -> str:
    """What yaml-language-server (VS Code YAML) puts in `Incorrect type. Expected "…"`: the
    schema's title, else the name of the $ref it came from (`getSchemaTypeName`)."""
    if node.get("title"):
        return node["title"]
    target = _resolve(node)
    if target is not node and target.get("title"):
        return target["title"]
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[1]
    return str(node.get("type"))


def test_no_editor_message_names_an_internal_definition():
    refs = [(path, node) for path, node in walk(SCHEMA) if isinstance(node, dict) and "$ref" in node]
    assert len(refs) > 20
    for path, node in refs:
        name = _editor_type_name(node)
        assert name not in DEFINITIONS and " " in name, (
            f"{'/'.join(map(str, path))}: editors would say Expected {name!r}"
        )
    for name, definition in DEFINITIONS.items():
        assert definition.get("title") and definition["title"] != name, f"definitions/{name} has no title"


def test_env_keys_have_descriptions_and_the_contracts_allowed_values():
    api, worker, web = (_env_schema(c).get("properties", {}) for c in ("api", "worker", "web"))
    for component, required in REQUIRED_ENV.items():
        known = {"api": api, "web": web}[component]
        for name in required:
            assert known.get(name, {}).get("description"), f"{component}.env.{name} has no description"
    for env in (api, worker):
        assert env["SECRETS_PROVIDER"]["enum"] == list(SECRETS_PROVIDERS)
        assert env["AUTH_KEY_STORAGE_BACKEND"]["enum"] == [AUTH_KEY_STORAGE_BACKEND]
        for flag in ("ENABLE_BILLING_RETRY_WORKER", "ENABLE_BILLING_STREAM_REPLAY"):
            assert "true" in env[flag]["enum"] and "false" in env[flag]["enum"] and env[flag]["description"]
    for name, wanted in WORKER_SETTINGS:
        assert wanted in worker[name]["enum"]
    # every env map stays open to the application's own variables and checks their type
    for component in ("api", "worker", "web"):
        node = _env_schema(component)
        assert node["allOf"] == [{"$ref": "#/definitions/envMap"}] and "additionalProperties" not in node


def test_one_mistake_one_finding_with_the_new_enums(tmp_path):
    """A value outside an enum that a rule reports with a better message is not SL100's too."""
    (tmp_path / "values.yaml").write_text(
        'api:\n  env:\n    SECRETS_PROVIDER: aws\n    AUTH_KEY_STORAGE_BACKEND: file\n'
        '    ENABLE_BILLING_STREAM_REPLAY: "maybe"\n'
        'worker:\n  enabled: true\n  env:\n    ENABLE_BILLING_RETRY_WORKER: "true"\n'
        '    ENABLE_BILLING_STREAM_REPLAY: "true"\n    BILLING_RETRY_DEPLOYMENT_MODE: shared\n'
    )
    done = cli("check", "values.yaml", "--select", "SL100,SL402,SL603", "--format", "json", cwd=tmp_path)
    found = sorted(
        (f["rule"], f["logical"]) for t in json.loads(done.stdout)["targets"] for f in t["findings"]
    )
    assert found == [
        ("SL100", "api.env.ENABLE_BILLING_STREAM_REPLAY"),
        ("SL402", "worker.env.BILLING_RETRY_DEPLOYMENT_MODE"),
        ("SL603", "api.env.AUTH_KEY_STORAGE_BACKEND"),
        ("SL603", "api.env.SECRETS_PROVIDER"),
    ]


def test_schema_command_prints_the_shipped_schema():
    done = cli("schema")
    assert done.returncode == 0 and json.loads(done.stdout) == SCHEMA


def test_help_uri_and_readme_name_this_release_and_existing_anchors():
    rules_md = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line[3:].strip().lower()).replace(" ", "-")
        for line in rules_md.splitlines()
        if line.startswith("## ")
    }
    for rule in load_catalog().values():
        uri = help_uri(rule, __version__)
        assert f"/blob/v{__version__}/docs/rules.md#" in uri
        assert uri.rsplit("#", 1)[1] in anchors, uri
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"\brev: (\S+)", readme) == [f"v{__version__}"]
    assert "docs/rules.md" in readme and "rules/SLnnn-name.yaml" not in readme
    releasing = (REPO / "RELEASING.md").read_text(encoding="utf-8")
    assert "git tag -a v<version>" in releasing and "git push origin v<version>" in releasing
