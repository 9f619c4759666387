"""Baseline fingerprints name list items by their key, not their position (issue 10 item 4).

For every failing example of every rule, siblings are inserted, deleted and reordered around each
finding (in the list items and the mapping that hold it, in the values file or the manifest
stream of the example) and every finding of the plain file must keep its fingerprint, so that a
baseline still accepts it. The mutations are generated from the finding's own location.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from starter_lint import pointer as json_pointer
from starter_lint.identity import item_name, logical_form

from .support import all_examples, cli, example_options, run_example, run_in

FAILING = [e for e in all_examples() if e[3]]
MARK = "zz"


def _yaml() -> YAML:
    yaml = YAML()  # round trip: quoting, comments and scalar styles stay as written
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _sibling(node):
    """A new item unlike `node`: every string prefixed, every number moved."""
    if isinstance(node, dict):
        out = CommentedMap()
        for key, value in node.items():
            out[key] = _sibling(value)
        return out
    if isinstance(node, list):
        return CommentedSeq(_sibling(v) for v in node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, (int, float)):
        return node + 1000
    return MARK + str(node)


def _containers(document, tokens):
    """(container, token) for each mapping or list on the way to `tokens` inside `document`."""
    node = document
    for token in tokens:
        if (isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node)) or (
            isinstance(node, dict) and token in node
        ):
            yield node, token
        else:
            return
        node = node[token]


def _mutations(container, token):
    """(description, before, after, gone) for one place: `before` and `after` edit the container
    (None: as written); the findings of the `before` side, except those about the item `gone`
    names, must keep their fingerprints on the `after` side."""
    if isinstance(container, list):
        item = container[token]
        if item_name(container, token) is None:
            return  # an item nothing names keeps its position (documented)
        yield "insert before", None, lambda c: c.insert(0, _sibling(item)), None
        yield "insert after", None, lambda c: c.append(_sibling(item)), None
        yield "delete an added sibling", lambda c: c.insert(0, _sibling(item)), None, _sibling(item)
        others = [i for i in range(len(container)) if i != token and item_name(container, i) is not None]
        if others:
            other = container[others[0]]
            yield ("delete a sibling", None, lambda c: c.pop(others[0]), other)
            yield "reorder", None, lambda c: c.reverse(), None
        else:
            yield "reorder", lambda c: c.append(_sibling(item)), lambda c: c.insert(0, _sibling(item)), None
        return
    if getattr(container, "merge", None):
        return  # with a merge key, key order is meaning (SL103), not layout
    value = container[token]
    new_key = MARK + "Inserted"

    def insert_first(c):
        c.insert(0, new_key, _sibling(value))

    def reverse(c):
        items = list(c.items())
        for key in list(c):
            del c[key]
        for key, item in reversed(items):
            c[key] = item

    yield "insert key before", None, insert_first, None
    yield "delete key", insert_first, None, None
    yield "reorder keys", None, reverse, None


def _edit(text: str, locate, edit, multi: bool) -> str:
    yaml = _yaml()
    documents = list(yaml.load_all(text)) if multi else [yaml.load(text)]
    if edit is not None:
        edit(locate(documents))
    out = io.StringIO()
    if multi:
        yaml.dump_all(documents, out)
    else:
        yaml.dump(documents[0], out)
    return out.getvalue()


def _fingerprints(example, directory: Path, rule_id: str, values=None, manifests=None) -> dict:
    """Fingerprint -> finding of `rule_id` for the example, its values or manifests replaced."""
    if directory.exists():
        shutil.rmtree(directory)
    options = example_options(example, directory, [rule_id])
    if values is not None:
        (directory / "values.yaml").write_text(values, encoding="utf-8")
    if manifests is not None:
        (directory / "manifests.yaml").write_text(manifests, encoding="utf-8")
    report = run_in(directory, options)
    return {f.fingerprint: f for f in report.findings if f.rule == rule_id}


def _near(container, depth: int, tokens) -> bool:
    """Every list on the way, and the mappings that hold the finding's node or a list: the
    siblings a team edits around a finding."""
    if isinstance(container, list):
        return True
    if depth and tokens[depth - 1] in ("selector", "matchLabels"):
        return False  # every label of a selector is meaning: none is unrelated
    return depth == len(tokens) - 1 or isinstance(tokens[depth + 1], int)


def _plans(example, finding):
    """(file kind, text, locate(documents) -> container, token) for each place around `finding`."""
    ref, hash_, where = finding.logical.partition("#")
    try:  # a file the example breaks on purpose (duplicate keys, bad syntax) has nothing to move
        documents = list(_yaml().load_all(example.manifests)) if hash_ and example.manifests else None
        document = _yaml().load(example.values) if finding.path and example.values is not None else None
    except Exception:
        return
    if documents is not None:
        for number, document in enumerate(documents):
            if not isinstance(document, dict):
                continue
            metadata = document.get("metadata") or {}
            if f"{document.get('kind')}/{metadata.get('name')}" != ref:
                continue
            tokens = json_pointer.path(where)
            for depth, (container, token) in enumerate(_containers(document, tokens)):
                if not _near(container, depth, tokens):
                    continue

                def locate(docs, number=number, depth=depth, tokens=tokens):
                    return list(_containers(docs[number], tokens))[depth][0]

                yield "manifests", example.manifests, locate, True, container, token
    elif document is not None:
        tokens = tuple(finding.path)
        for depth, (container, token) in enumerate(_containers(document, tokens)):
            if not _near(container, depth, tokens):
                continue

            def locate(docs, depth=depth):
                return list(_containers(docs[0], tokens))[depth][0]

            yield "values", example.values, locate, False, container, token


@pytest.mark.parametrize("rule,example", [e[1:3] for e in FAILING], ids=[e[0] for e in FAILING])
def test_unrelated_siblings_keep_every_finding_accepted(rule, example, tmp_path):
    plain = _fingerprints(example, tmp_path / "plain", rule.id)
    for finding in list(plain.values()):
        for kind, text, locate, multi, container, token in _plans(example, finding):
            for what, before, after, gone in _mutations(container, token):
                base_text, edited_text = _edit(text, locate, before, multi), _edit(text, locate, after, multi)
                edits = {kind: base_text}
                base = _fingerprints(example, tmp_path / "base", rule.id, **edits)
                edits = {kind: edited_text}
                edited = _fingerprints(example, tmp_path / "edited", rule.id, **edits)
                gone_name = f"[{item_name([gone], 0)}]" if gone is not None else None
                kept = [
                    f
                    for f in base.values()
                    if MARK not in f.identity + f.identity_text + f.message
                    and not (gone_name and gone_name in f.identity)
                ]
                lost = [f for f in kept if f.fingerprint not in edited]
                assert not lost, (
                    f"{rule.id} {example.title!r}: {what} around {finding.logical} changed the fingerprint of "
                    + "; ".join(
                        f"{f.identity or f.logical} ({f.identity_text or f.key or f.message})" for f in lost
                    )
                    + " -> now "
                    + "; ".join(
                        f"{f.identity or f.logical} ({f.identity_text or f.key})" for f in edited.values()
                    )
                )
    assert plain, f"{rule.id} {example.title!r} reported nothing"


def test_mutations_reach_every_rule_with_list_or_mapping_locations(tmp_path):
    """The property test above is not vacuous: most rules get mutated findings."""
    rules = set()
    for _id, rule, example, _failing in FAILING:
        report = run_example(example, tmp_path / _id, select=[rule.id])
        for finding in report.findings:
            if finding.rule == rule.id and any(True for _ in _plans(example, finding)):
                rules.add(rule.id)
    assert len(rules) >= 40, sorted(rules)


def test_adding_an_env_var_keeps_sl806_accepted(tmp_path):
    """The reported case: an unrelated env var above the flagged one brought the finding back."""
    example = next(e for _id, rule, e, _f in FAILING if rule.id == "SL806")
    before = _fingerprints(example, tmp_path / "a", "SL806")
    yaml = _yaml()
    documents = list(yaml.load_all(example.manifests))
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "Deployment":
            for container in document["spec"]["template"]["spec"]["containers"]:
                container.setdefault("env", CommentedSeq()).insert(
                    0, CommentedMap(name="LOG_LEVEL", value="info")
                )
    out = io.StringIO()
    yaml.dump_all(documents, out)
    after = _fingerprints(example, tmp_path / "b", "SL806", manifests=out.getvalue())
    assert before and set(before) <= set(after)


def test_really_different_findings_keep_different_fingerprints(tmp_path):
    """Two hosts without TLS, two env entries of one name, two containers: one fingerprint each."""
    values = (
        "ingress:\n  hosts:\n    - host: a.acme-corp.io\n    - host: b.acme-corp.io\n"
        "    - host: a.acme-corp.io\n  tls: []\n"
    )
    (tmp_path / "values.yaml").write_text(values)
    done = cli("check", "values.yaml", "--select", "SL301", "--format", "json", cwd=tmp_path)
    findings = json.loads(done.stdout)["targets"][0]["findings"]
    assert len(findings) == 3
    assert len({f["fingerprint"] for f in findings}) == 3
    document = {
        "spec": {
            "containers": [
                {"name": "api", "env": [{"name": "A"}, {"name": "A"}]},
                {"name": "web", "env": [{"name": "A"}]},
            ]
        }
    }
    forms = {logical_form(f"/spec/containers/{c}/env/{e}", document) for c, e in ((0, 0), (0, 1), (1, 0))}
    assert forms == {
        "/spec/containers/[name=api]/env/[name=A]",
        "/spec/containers/[name=api]/env/[name=A#2]",
        "/spec/containers/[name=web]/env/[name=A]",
    }


def test_secret_values_never_name_an_item():
    document = {"args": ["--token", "s3cr3t-value"]}
    assert logical_form("/args/1", document, frozenset({"s3cr3t-value"})) == "/args/1"
    assert logical_form("/args/0", document, frozenset({"s3cr3t-value"})) == "/args/[=--token]"


def test_old_baselines_are_refused_with_a_clear_message(tmp_path):
    (tmp_path / "values.yaml").write_text("api:\n  env:\n    UMASK: 0022\n")
    (tmp_path / "b.json").write_text(
        json.dumps({"version": 1, "tool": "starter-lint", "findings": [{"fingerprint": "0" * 32}]})
    )
    done = cli("check", "values.yaml", "--baseline", "b.json", cwd=tmp_path)
    assert done.returncode == 2 and "baseline" in done.stderr and "regenerate" in done.stderr.lower()
    assert "Traceback" not in done.stderr


def test_item_names_of_a_whole_list_agree_with_naming_each_item_alone():
    from starter_lint.identity import item_names

    items = [
        {"name": "a"},
        {"name": "b"},
        {"name": "a"},
        {"port": 80},
        "x",
        {"other": 1},
        "x",
        {"secretRef": {"name": "s"}},
        {"name": "a"},
        None,
        {"name": "hidden"},
    ]
    hidden = frozenset({"hidden"})
    assert item_names(items, hidden) == [item_name(items, i, hidden) for i in range(len(items))]
    assert item_names(items, hidden)[8] == "name=a#3"
    names: dict = {}
    assert [item_name(items, i, hidden, names) for i in range(len(items))] == item_names(items, hidden)
