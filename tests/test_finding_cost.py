"""What each finding costs is paid once per distinct thing, and the shortcuts change no answer.

The secret parts of the objects are walked once (with the secret strings) and reused for the
excerpt lines' secret columns; the list-item rewrites of one place are computed once per run;
a finding is copied without `records.replace`. Each shortcut is compared with the long way.
"""

from __future__ import annotations

import pickle

import pytest

from starter_lint import pointer, redact_source
from starter_lint.findings import Finding, Location, Problem, Severity
from starter_lint.finish import deduped
from starter_lint.identity import identity_of, logical_form, positional_prefixes
from starter_lint.manifests.stream import load_paths
from starter_lint.records import FrozenInstanceError, fields, replace
from starter_lint.redact_source import manifest_secret_columns, secret_strings

MANIFEST = """\
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  token: aHVudGVyMi12ZXJ5LXNlY3JldA==
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: busybox
        - name: api
          image: example/api:1
          env:
            - name: DB_PASSWORD
              value: hunter2-very-secret
            - name: MODE
              value: fast
"""


class _Target:
    """What secret_strings reads of a target: manifests, no values (watchable, like a Context)."""

    def __init__(self, manifests):
        self.manifests = manifests
        self.values = None
        self.loaded = []


def _finding(logical: str, message: str) -> Finding:
    return Finding(
        "SL901", "admission-policy", Severity.ERROR, message, Location("m.yaml", 1, 1), logical=logical
    )


def test_secret_columns_from_the_walk_of_the_secret_strings_equal_a_second_walk(tmp_path):
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    manifests = load_paths([str(tmp_path / "m.yaml")])
    path = manifests.objects[0].path
    wanted = {path: set(range(1, MANIFEST.count("\n") + 1))}
    walked_again = manifest_secret_columns(manifests, wanted)  # nothing kept yet: each owner walked
    assert id(manifests) not in redact_source._PARTS
    target = _Target(manifests)
    assert "hunter2-very-secret" in secret_strings(target)
    assert id(manifests) in redact_source._PARTS  # the walk's parts are kept for the columns
    reused = manifest_secret_columns(manifests, wanted)
    assert reused == walked_again
    lines = MANIFEST.splitlines()
    hidden = {
        lines[line - 1][col - 1 : end - 1] for line, ranges in reused[path].items() for col, end in ranges
    }
    assert "hunter2-very-secret" in hidden and "aHVudGVyMi12ZXJ5LXNlY3JldA==" in hidden


def test_kept_secret_parts_are_not_used_for_objects_that_changed(tmp_path):
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    manifests = load_paths([str(tmp_path / "m.yaml")])
    secret_strings(_Target(manifests))
    path = manifests.objects[0].path
    manifests.objects = list(reversed(manifests.objects))  # positions no longer match the walk's
    wanted = {path: {22}}  # the DB_PASSWORD value's line
    assert manifest_secret_columns(manifests, wanted)[path][22], "the changed objects are walked again"


def test_a_shared_cache_names_each_finding_as_naming_it_alone_does():
    document = {
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar"}, {"name": "api", "image": "x"}]}}}
    }
    documents = {"Deployment/ns/api": document}
    where = "Deployment/ns/api#/spec/template/spec/containers/1/image"
    findings = [
        _finding(where, "containers/1/image is not pinned"),
        _finding(where, "policy copy 2: /spec/template/spec/containers/1 has no limits"),
        _finding("Deployment/ns/api#/spec/template/spec/containers/0", "containers/0 is a sidecar"),
    ]
    shared: dict = {}
    for finding in findings:
        alone = identity_of(finding, None, frozenset(), documents, None)  # type: ignore[arg-type]
        cached = identity_of(finding, None, frozenset(), documents, shared)  # type: ignore[arg-type]
        assert cached == alone
    assert alone is not None and alone[0].endswith("/containers/[name=sidecar]")
    second = identity_of(findings[1], None, frozenset(), documents, shared)  # type: ignore[arg-type]
    assert second is not None
    assert second[1] == "policy copy 2: /spec/template/spec/containers/[name=api] has no limits"


def test_a_findings_copy_is_what_replace_gives():
    finding = _finding("Deployment/ns/api#/spec", "m")
    copy = finding.with_(message="other", identity="Deployment/ns/api#/spec", notes=("n",))
    assert copy == replace(finding, message="other", identity="Deployment/ns/api#/spec", notes=("n",))
    assert hash(copy) == hash(replace(copy))
    assert finding.message == "m" and finding.notes == ()  # the original is unchanged
    with pytest.raises(FrozenInstanceError):
        copy.message = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field bogus"):
        finding.with_(bogus=1)


def test_findings_are_made_pickled_and_compared_by_their_fields():
    location = Location("m.yaml", 3, 5, end_line=3, end_col=9)
    problem = Problem("m", path=("a", 0), location=location, severity=Severity.WARNING, at_key=True)
    finding = Finding(
        "SL901", "admission-policy", Severity.ERROR, "m", location, key="k", notes=("n",), related=()
    )
    for made in (location, problem, finding, finding.with_(related=(finding,))):
        values = {spec.name: getattr(made, spec.name) for spec in fields(made)}
        assert type(made)(**values) == made  # keywords, positions and defaults alike
        copy = pickle.loads(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == made and type(copy) is type(made) and hash(copy) == hash(made)
        assert not hasattr(made, "__dict__")  # slots: tens of thousands in a large run
    assert Problem("m") == Problem("m", None, None, None, None, None, None, None, False)
    assert [str(severity) for severity in Severity] == [s.name.lower() for s in Severity]
    assert Location("a") < Location("a", 2) < Location("b")  # ordered as before
    with pytest.raises(FrozenInstanceError):
        location.line = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        Finding("SL901")  # type: ignore[call-arg]  # the required fields stay required


def test_secret_strings_are_found_again_when_what_they_came_from_changed(tmp_path):
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "n.yaml").write_text(
        MANIFEST.replace("hunter2-very-secret", "other-very-secret").replace(
            "aHVudGVyMi12ZXJ5LXNlY3JldA==", "b3RoZXItdmVyeS1zZWNyZXQ="
        ),
        encoding="utf-8",
    )
    manifests = load_paths([str(tmp_path / "m.yaml")])
    target = _Target(manifests)
    assert "hunter2-very-secret" in secret_strings(target)
    assert secret_strings(target) is secret_strings(target)  # kept while nothing changed
    added = load_paths([str(tmp_path / "n.yaml")])
    manifests.objects.append(added.objects[1])  # an object added in place: not a stale set
    assert "other-very-secret" in secret_strings(target)
    manifests.objects[-1] = manifests.objects[0]  # one replaced in place (the count the same)
    manifests.objects[0] = added.objects[1]
    assert "other-very-secret" in secret_strings(target)
    target.manifests = load_paths([str(tmp_path / "n.yaml")])  # other manifests
    found = secret_strings(target)
    assert "other-very-secret" in found and "hunter2-very-secret" not in found


def test_each_ancestors_logical_form_is_the_prefix_of_the_locations():
    # positional_prefixes walks the location once: each list-item ancestor's form must be what
    # logical_form gives for that ancestor alone, for pointers and for values paths
    document = {
        "spec": {"containers": [{"name": "a", "env": [{"name": "X"}, {"name": "X"}, {"value": 1}]}]},
        "a/b": [["~"]],
    }
    for location in (
        "/spec/containers/0/env/1/value",
        "/spec/containers/0/env/2",
        "/spec/containers/7/env",
        "/a~1b/0/0",
    ):
        tokens = pointer.path(location)
        for positional, logical in positional_prefixes(location, document):
            assert logical == logical_form(positional, document)
            assert pointer.path(positional) == tokens[: len(pointer.path(positional))]
    values = {"ingress": {"hosts": [{"host": "a.example.org", "paths": ["/", "/x"]}]}}
    rewrites = positional_prefixes(("ingress", "hosts", 0, "paths", 1), values)
    assert [logical for _, logical in rewrites] == [
        logical_form(("ingress", "hosts", 0, "paths", 1), values),
        logical_form(("ingress", "hosts", 0), values),
    ]


@pytest.mark.parametrize("args, excerpts", [(["-q"], False), (["--format", "json"], False), ([], True)])
def test_the_manifest_secret_columns_are_found_only_for_an_excerpt(tmp_path, monkeypatch, args, excerpts):
    # only the text format shows excerpts, and not with -q: the columns are not looked for then
    from starter_lint import pipeline

    from .support import run_in_process

    (tmp_path / "m.yaml").write_text(MANIFEST.replace("name: api\n", "name: api\n  namespace: x\n", 1))
    asked = []
    real = pipeline.manifest_secret_columns
    monkeypatch.setattr(pipeline, "manifest_secret_columns", lambda *a: asked.append(1) or real(*a))
    _code, out, _ = run_in_process(
        ["check", "--validator", "builtin", *args, "--manifests", "m.yaml"], tmp_path
    )
    assert out and "hunter2-very-secret" not in out
    assert bool(asked) == excerpts


def _reference_deduped(findings: list) -> list:
    """What finish.deduped gave before it compared keys: one set of every finding's identity."""
    seen, out = set(), []
    for finding in sorted(findings, key=Finding.sort_key):
        where = finding.location
        identity = (finding.rule, where, finding.logical, finding.message)
        if identity not in seen:
            seen.add(identity)
            out.append(finding)
    return out


def test_dedupe_by_runs_of_equal_keys_keeps_what_one_set_of_identities_keeps():
    """Findings that differ only in where their location ends share a sort key, in any order."""
    import random

    rng = random.Random(7)
    findings = [
        Finding(
            rng.choice(["SL100", "SL901"]),
            "rule",
            Severity.ERROR,
            rng.choice(["m", "n"]),
            Location(
                rng.choice(["a.yaml", "b.yaml"]), rng.randint(1, 3), 1, rng.randint(0, 2), rng.randint(0, 2)
            ),
            logical=rng.choice(["", "x#/a"]),
            target="t",
            key=str(rng.random()),  # not part of the defect: a repeat with another key is one
        )
        for _ in range(600)
    ]
    kept = deduped(findings)
    expected = _reference_deduped(findings)
    assert len(kept) == len(expected) < len(findings)
    assert all(
        a is b for a, b in zip(kept, expected, strict=True)
    )  # the same findings, the first of each kept


def test_scrubbing_findings_together_gives_what_scrubbing_each_gives():
    """redact.scrub_findings looks at the joined texts first: each finding still comes out as
    redact.scrub_finding makes it, whether a secret is in a message, a note, a related finding,
    or among more secrets than `in` is asked for."""
    from starter_lint.redact import _FEW_SECRETS, scrub_finding
    from starter_lint.redact import scrub_findings as _scrubbed

    plain = [_finding(f"Deployment/api#/{i}", f"message {i}") for i in range(50)]
    holding = _finding("Deployment/api#/x", "password hunter2-very-secret shown")
    noted = _finding("Deployment/api#/y", "m").with_(notes=("note hunter2-very-secret",))
    related = _finding("Deployment/api#/z", "m").with_(related=(holding,))
    many = frozenset({"hunter2-very-secret"} | {f"other-secret-{i}" for i in range(_FEW_SECRETS + 4)})
    for secrets in (frozenset({"hunter2-very-secret", "short"}), many, frozenset({"x"}), frozenset()):
        for findings in (plain, plain + [holding], plain + [noted], [related] + plain, []):
            assert _scrubbed(findings, secrets) == [scrub_finding(f, secrets) for f in findings]
