"""Secrets in every document of a multi-document `-f` file stay hidden (docs/design/secrets.md),
whichever document the chosen Helm major reads: a document Helm 3 skips, one Helm 4 refuses, a
middle one a later document overrides. Excerpts (every format), `fix --diff` context and the
diff guard all take the secret columns of `redact_source.secret_columns`."""

from __future__ import annotations

import itertools

import pytest

from starter_lint.redact_source import _each_document, redact_line, secret_columns
from starter_lint.report import FORMATS
from starter_lint.textio import split_lines
from starter_lint.values.load import read_values_file

from .support import cli, run_in_process

SECRET = "hunter2SECRETvalueXYZ"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_document_helm_4_refuses_keeps_its_secret_in_the_helm_3_note(tmp_path, fmt):
    """The SL102 note "Helm 4 refuses v.yaml (line 6 …)" points into the document Helm 3 never
    reads: its excerpt hides the secret although neither reading holds it."""
    text = f'api:\n  image: x\n---\napi:\n  secrets:\n    DB_PASSWORD: "{SECRET}\\/x"\n'
    (tmp_path / "v.yaml").write_text(text)
    done = cli(
        "check", "--helm-version", "3", "-f", "v.yaml", "--select", "SL102", "--format", fmt, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "SL102" in done.stdout and "Helm 4 refuses" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    if fmt == "text":
        assert "    6 |     <redacted>" in done.stdout


@pytest.mark.parametrize("major", ["3", "4"])
def test_fix_diff_never_shows_a_middle_documents_overridden_secret(tmp_path, major):
    """Neither reading holds the middle document's DB_PASSWORD (Helm 4's merge takes the last,
    Helm 3 the first): the guard still refuses a diff that would show it as context."""
    text = (
        "api:\n  secrets:\n    DB_PASSWORD: firstSecretAAAA\n---\n"
        f"api:\n  secrets:\n    DB_PASSWORD: {SECRET}\n  enabled: yes\n---\n"
        "api:\n  secrets:\n    DB_PASSWORD: lastSecretCCCC\n"
    )
    (tmp_path / "v.yaml").write_text(text)
    done = cli("fix", "--helm-version", major, "-f", "v.yaml", "--diff", cwd=tmp_path)
    assert SECRET not in done.stdout + done.stderr
    assert (tmp_path / "v.yaml").read_text() == text
    if major == "4":  # Helm 4 reads `enabled: yes` (line 8), right below the secret on line 7
        assert done.returncode == 2 and done.stdout == ""
        assert "line 7, next to a fixed line, holds a secret value" in done.stderr


def test_the_diff_keeps_context_away_from_a_middle_documents_secret(tmp_path):
    """A fix two lines below a skipped document's secret gets a diff whose context stops short."""
    text = (
        "api:\n  image: x\n---\n"
        f"api:\n  secrets:\n    DB_PASSWORD: {SECRET}\n---\n"
        "api:\n  image: x\n  enabled: yes\n"
    )
    (tmp_path / "v.yaml").write_text(text)
    done = cli("fix", "--helm-version", "4", "-f", "v.yaml", "--diff", cwd=tmp_path)
    assert done.stderr == "" and SECRET not in done.stdout
    # the context starts below the secret's line (6): `---`, `api:`, `image: x`
    assert "@@ -7,4 +7,4 @@\n ---\n api:\n   image: x\n-  enabled: yes\n+  enabled: true\n" in done.stdout


# Multi-document shapes: each document in turn holds the planted secret, written the ways a
# values file writes one, in documents that parse and documents that do not

SECRET_DOCUMENTS = {
    "secrets-map": "api:\n  secrets:\n    DATABASE_URL: {s}\n",
    "env-key": 'api:\n  env:\n    API_TOKEN: "{s}"\n',
    "env-list": "api:\n  env:\n    - name: DB_PASSWORD\n      value: {s}\n",
    "url-password": "api:\n  env:\n    REDIS_URL: redis://:{s}@cache:6379/0\n",
    "alias": "base: &pw {s}\napi:\n  secrets:\n    SESSION_SECRET: *pw\n",
    "folded": "api:\n  secrets:\n    KEY: >-\n      {s}\n      more\n",
    "bad-escape": 'api:\n  secrets:\n    DB_PASSWORD: "{s}\\/x"\n',
    "bad-escape-secrets-map": 'api:\n  secrets:\n    SESSION: "{s}\\/x"\n',
    "bad-escape-flow": 'api: {{secrets: {{K: 1,\n    L: "{s}\\/x"}}}}\n',
    "bad-escape-flow-env": 'api:\n  env: {{API_TOKEN: "{s}\\/x", B: 1}}\n',
    "top-level-list": "- DB_PASSWORD={s}\n",
    "tab-indent": "api:\n  secrets:\n    K: {s}\n\tbad: 1\n",
}
PLAIN_DOCUMENTS = ["api:\n  image: x\n", "api:\n  secrets:\n    DATABASE_URL: other\n", "# only a comment\n"]
SEPARATORS = ["---\n", "--- # next\n", "...\n---\n"]


def multi_document_files():
    """(name, text): the secret document first, in the middle and last, among plain ones."""
    for (kind, secret_doc), count, sep in itertools.product(SECRET_DOCUMENTS.items(), (2, 3), SEPARATORS):
        for position in range(count):
            docs = [PLAIN_DOCUMENTS[i % len(PLAIN_DOCUMENTS)] for i in range(count)]
            docs[position] = secret_doc.format(s=SECRET)
            yield f"{kind}-{position + 1}of{count}-{SEPARATORS.index(sep)}", sep.join(docs)


FILES = list(multi_document_files())


def test_the_shapes_are_many():
    assert len(FILES) >= 100


@pytest.mark.parametrize("major", ["3", "4"])
def test_every_documents_secret_is_hidden_by_its_columns_alone(tmp_path, major):
    """The invariant every consumer leans on: a source line redacted by its secret columns alone
    (no secret strings to fall back on) shows no secret, in every document, for both majors."""
    checked = 0
    for name, text in FILES:
        for ending in ("\n", "\r\n"):
            path = tmp_path / "v.yaml"
            path.write_bytes(text.replace("\n", ending).encode())
            loaded, _error = read_values_file(str(path), tmp_path, helm_version=major)
            if loaded is None:
                continue  # refused: no excerpt, no fix
            columns = secret_columns(loaded)
            for number, line in enumerate(split_lines(loaded.text), 1):
                if SECRET in line:
                    shown, _column = redact_line(line, columns.get(number, ()))
                    assert SECRET not in shown, f"{name} (Helm {major}, {ending!r}): line {number} {shown!r}"
                    checked += 1
    assert checked >= 150


@pytest.mark.parametrize("major", ["3", "4"])
def test_no_shape_leaks_through_check_or_fix(tmp_path, major):
    """Through the CLI: every finding's excerpt and every fix diff, in a sample of the shapes."""
    for name, text in FILES[::3]:
        case = tmp_path / name
        case.mkdir()
        (case / "v.yaml").write_text(text + "api2:\n  enabled: yes\n")  # something to fix
        for args in (
            ["check", "--helm-version", major, "-f", "v.yaml"],
            ["fix", "--helm-version", major, "--diff", "-f", "v.yaml"],
        ):
            _code, out, err = run_in_process(args, case)
            assert SECRET not in out + err, f"{name}: {' '.join(args)}\n{out}{err}"


def test_a_file_of_one_document_is_read_once():
    """Only a file of several documents is read document by document: one document, even after
    a leading `---` or a comment-only first part, costs what it did."""
    for text in ("a: 1\n", "---\na: 1\n", "# c\n---\na: 1\n", "a: 1\n---\n# nothing\n", "a: '---'\n"):
        assert list(_each_document(text, split_lines(text))) == [], text
    text = "a: 1\n---\nb: 2\n"
    assert [
        (first, stop, reading.data) for first, stop, reading in _each_document(text, split_lines(text))
    ] == [
        (0, 1, {"a": 1}),
        (1, 3, {"b": 2}),
    ]
