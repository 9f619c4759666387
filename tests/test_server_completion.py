"""Completion of contract keys and allowed values (starter_lint/server/completion.py), on texts
as an editor holds them: half-typed, broken, unicode, empty."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from starter_lint.server.completion import complete, yaml_scalar
from starter_lint.validate.values_schema import contract_schema

from .editor_text import active, apply_edits
from .support import REPO

PROD = (REPO / "examples" / "values.prod.yaml").read_text(encoding="utf-8")
BROKEN = (REPO / "examples" / "values.broken.yaml").read_text(encoding="utf-8")
PROVIDERS = ["aws_sm", "azure_kv", "gcp_sm", "vault", "infisical"]


def at_end(text: str) -> list[types.CompletionItem]:
    """Completion with the cursor at the end of `text`."""
    lines = text.split("\n")
    return complete(
        text, types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)
    )


def labels(items: list[types.CompletionItem]) -> list[str]:
    return [item.label for item in items]


def test_empty_document_offers_the_top_level_keys():
    items = complete("", types.Position(line=0, character=0))
    assert labels(items) == list(contract_schema()["properties"])
    api = next(item for item in items if item.label == "api")
    assert api.detail == "object" and api.documentation == "The API Deployment."
    assert api.text_edit is not None and api.text_edit.new_text == "api:"  # type: ignore[union-attr]


def test_keys_already_set_at_that_level_are_left_out():
    assert labels(at_end(PROD + "\n")) == ["global", "ingressPaths"]
    # above and below the cursor, not deeper ones
    text = "api:\n  image: x\n  \n  resources:\n    limits: {}\n"
    items = complete(text, types.Position(line=2, character=2))
    assert labels(items) == ["env", "secrets", "secretName"]


def test_a_scalar_key_is_inserted_with_its_colon_and_space():
    [item] = [i for i in at_end("api:\n  secretN") if i.label == "secretName"]
    assert item.detail == "string" and item.documentation == "Override the name of the api Secret."
    assert apply_edits("api:\n  secretN", [item.text_edit]) == "api:\n  secretName: "  # type: ignore[list-item]


def test_renaming_a_key_replaces_the_word_only():
    text = "api:\n  imag: registry/app:1\n"
    items = complete(text, types.Position(line=1, character=4))
    [item] = [i for i in items if i.label == "image"]
    assert apply_edits(text, [item.text_edit]) == "api:\n  image: registry/app:1\n"  # type: ignore[list-item]


def test_env_values_from_the_contract_enum():
    assert labels(at_end("api:\n  env:\n    SECRETS_PROVIDER: ")) == PROVIDERS
    # the string "true", as Kubernetes needs; not the boolean true the schema also accepts
    assert labels(at_end("worker:\n  env:\n    ENABLE_BILLING_RETRY_WORKER: ")) == ['"true"', '"false"']
    assert labels(at_end("externalSecrets:\n  secretStoreRef:\n    kind: ")) == [
        "SecretStore",
        "ClusterSecretStore",
    ]
    assert labels(at_end("worker:\n  enabled: ")) == ["true", "false"]
    assert at_end("api:\n  env:\n    MY_OWN_SETTING: ") == []  # any string: nothing to offer
    assert at_end("api:\n  image: ") == []


def test_a_value_without_a_space_after_the_colon_gets_one():
    [item, *_] = at_end("worker:\n  env:\n    ENABLE_BILLING_RETRY_WORKER:")
    assert item.text_edit.new_text == ' "true"'  # type: ignore[union-attr]


def test_completing_a_value_in_the_broken_example_fixes_its_finding(tmp_path: Path):
    line = next(i for i, text in enumerate(BROKEN.splitlines()) if "SECRETS_PROVIDER:" in text)
    character = BROKEN.splitlines()[line].index("aws-secrets")
    items = complete(BROKEN, types.Position(line=line, character=character))
    assert labels(items) == PROVIDERS
    after = apply_edits(BROKEN, [items[0].text_edit])  # type: ignore[list-item]
    assert "    SECRETS_PROVIDER: aws_sm      # not a known provider\n" in after
    assert "SL603" in {f.rule for f in active(tmp_path, BROKEN)}
    assert "SL603" not in {f.rule for f in active(tmp_path, after)}


def test_list_items():
    assert labels(at_end("ingress:\n  hosts:\n  - host: a\n  - ")) == ["host"]  # a compact list
    assert labels(at_end("ingress:\n  tls:\n    - ")) == ["secretName", "hosts"]
    assert labels(at_end("ingress:\n  tls:\n    - secretName: a\n      ")) == ["hosts"]
    assert labels(at_end("ingress:\n  apiHosts:\n    - ")) == ["host"]  # anyOf: a mapping or a host
    assert at_end("ingress:\n  hosts:\n  -") == []  # a `-` just typed is not yet an item


def test_broken_yaml_mid_edit_still_completes():
    text = "api:\n  image: [unclosed\n  env:\n    SECRETS_PROVIDER: \n  secrets: {a: \n"
    assert labels(complete(text, types.Position(line=3, character=22))) == PROVIDERS
    text = "api:\n\tbad: tab\n  env:\n    \nweb: [\n"
    assert "SECRETS_PROVIDER" in labels(complete(text, types.Position(line=3, character=4)))


def test_no_completion_inside_text():
    # a block scalar's lines, a comment, an open flow collection
    assert at_end("api:\n  image: |\n    line one\n    ") == []
    assert at_end("api:\n  env: {A: 1,\n    ") == []
    assert at_end("api:\n  # a comm") == []
    assert at_end("api:\n  env: {SECRETS_PROVIDER: ") == []
    # after the block scalar ends, keys again
    assert "env" in labels(at_end("api:\n  image: |\n    line one\n  "))


def test_unicode_before_the_cursor():
    text = "# ☃ 😀\napi:\n  env:\n    SECRETS_PROVIDER: é😀"
    items = at_end(text)
    assert labels(items) == PROVIDERS
    edit = items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    assert (edit.range.start, edit.range.end) == (
        types.Position(line=3, character=22),
        types.Position(line=3, character=25),
    )
    assert apply_edits(text, [edit]) == "# ☃ 😀\napi:\n  env:\n    SECRETS_PROVIDER: aws_sm"


def test_a_cursor_past_the_end_is_the_end_of_the_text():
    text = "api:\n  env:\n    SECRETS_PROVIDER: "
    assert labels(complete(text, types.Position(line=40, character=7))) == PROVIDERS
    assert labels(complete("api:\n", types.Position(line=1, character=99)))[:1] == ["global"]


def test_documents_are_separate():
    text = "api:\n  image: x\n---\n"
    assert "api" in labels(at_end(text))
    assert "api" not in labels(at_end(text.replace("---\n", "")))


def test_yaml_scalar_reads_back_as_the_value():
    assert yaml_scalar("aws_sm") == "aws_sm"
    assert yaml_scalar("secret-manager") == "secret-manager"
    assert yaml_scalar("true") == '"true"'
    assert yaml_scalar("1.10") == '"1.10"'
    assert yaml_scalar("a: b") == '"a: b"'
    assert yaml_scalar("") == '""'
    assert yaml_scalar(True) == "true" and yaml_scalar(3) == "3"


def test_on_a_500_line_file():
    # speed is measured by bench/server.py, not asserted here
    lines = PROD.splitlines()
    env = lines.index("  env:")
    padding = [f'    SETTING_{n}: "value {n}"' for n in range(500 - len(lines) - 1)]
    text = "\n".join(lines[: env + 1] + padding + ["    SECRETS_PROVIDER: "] + lines[env + 1 :]) + "\n"
    assert len(text.splitlines()) == 500
    cursor = types.Position(line=env + 1 + len(padding), character=22)
    assert labels(complete(text, cursor)) == [p for p in PROVIDERS]
    assert "api" not in labels(complete(text, types.Position(line=500, character=0)))


PIECES = [
    "a",
    ":",
    " ",
    "  ",
    "- ",
    "\n",
    "\r\n",
    "\r",
    "#",
    "'",
    '"',
    "{",
    "}",
    "[",
    "]",
    "|",
    ">",
    "&x",
    "*x",
]
PIECES += ["😀", "é", "\t", "---", "api", "env", "SECRETS_PROVIDER", "hosts", "\u2028", "\x85", "?", ","]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=60),
)
def test_any_text_and_position_completes_without_error(text, line, character):
    items = complete(text, types.Position(line=line, character=character))
    for item in items:
        assert isinstance(item.text_edit, types.TextEdit)
        apply_edits(text, [item.text_edit])  # its range is inside the text
