"""SL100's first pass (values_schema.passes): the built-in interpreter's yes or no on the values
contract is jsonschema's, so values that pass it never import jsonschema, and values that fail it
get jsonschema's messages as before.

The two are asked about thousands of values made by mutating the shipped examples: every node
replaced by awkward scalars and shapes, keys removed, unknown and badly named keys added.
"""

from __future__ import annotations

import copy
import os
import random
import subprocess
import sys

import pytest
import yaml

from starter_lint.validate import values_schema
from starter_lint.validate.values_schema import contract_validator, passes, violations

from .support import REPO, tree_nodes

BASES = sorted((REPO / "examples").glob("values.*.yaml")) + sorted(
    (REPO / "examples" / "clean").glob("*.yaml")
)

AWKWARD = [
    None, True, False, 0, 1, -1, 3, 100, 1.0, 1.5, -0.5, 1e400, float("-inf"), "", "1", "1.0", "true",
    "no", "abc", "abc\n", "ABC", "a.b", "-x", "_x", "1abc", "bad key", "*.example.com",
    "app.example.com", "app.example.com\n", "app..example.com", "a" * 70 + ".com", "100m", "1Gi",
    "+1", ".5", "1e3", "1E", "\u0661\u0662\u0663", "\u00e9", "x" * 300, "https://x.example.com", "/path",
    "SecretStore", "ClusterSecretStore", "vault", "aws_sm", "secret-manager", "dedicated", "Ingress",
    [], {}, ["a"], [1], [None], {"a": 1}, {"name": "x", "value": "y"}, {"host": "a.example.com"},
    {"hosts": ["a.example.com"], "secretName": "tls"}, {"minReplicas": 3, "maxReplicas": 2},
]  # fmt: skip
NAMES = ["enabled", "image", "env", "replicas", "hosts", "host", "secretName", "kind", "name",
         "minReplicas", "maxReplicas", "DB_PASSWORD", "1abc", "bad key", "a.b-c_d", "", "é", "x"]  # fmt: skip


def _set(tree, path, value):
    if not path:
        return value
    parent = tree
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return tree


def _mutated(base, rng: random.Random):
    tree = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        nodes = list(tree_nodes(tree))
        path, node = rng.choice(nodes)
        move = rng.random()
        if move < 0.55:
            tree = _set(tree, path, copy.deepcopy(rng.choice(AWKWARD)))
        elif move < 0.75 and isinstance(node, dict) and node:
            del node[rng.choice(list(node))]
        elif isinstance(node, dict):
            node[rng.choice(NAMES)] = copy.deepcopy(rng.choice(AWKWARD))
        elif isinstance(node, list):
            node.append(copy.deepcopy(rng.choice(AWKWARD)))
    return tree


def _jsonschema_passes(values) -> bool:
    return next(iter(contract_validator().iter_errors(values)), None) is None


def test_the_contract_is_decided_by_the_first_pass():
    """The shipped contract uses nothing the built-in interpreter decides otherwise: without
    this, every values file would import jsonschema again (correct, but slow)."""
    assert values_schema._first_pass() is not None


@pytest.mark.parametrize("base", BASES, ids=lambda p: p.name)
def test_the_first_pass_says_what_jsonschema_says(base):
    loaded = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    rng = random.Random(base.name)
    outcomes = {True: 0, False: 0}
    for n in range(600):
        values = _mutated(loaded, rng)
        ours = passes(values)
        assert ours == _jsonschema_passes(values), (n, values)
        if ours:
            assert violations(values) == []
        outcomes[ours] += 1
    assert outcomes[False] > 30, outcomes
    if _jsonschema_passes(loaded):  # both answers were asked (a broken example stays broken)
        assert outcomes[True] > 30, outcomes


@pytest.mark.parametrize(
    "values",
    [
        {"api": {"env": {"1abc": "x"}}},  # propertyNames
        {"api": {"env": {"OK": "x\n"}}},
        {"ingress": {"hosts": [{"host": "app.example.com\n"}]}},  # `$` before a final break: re matches
        {"ingress": {"hosts": [{"host": "\u0661.example.com"}]}},
        {"api": {"replicas": 2.0}},  # a whole float is an integer to both
        {"api": {"replicas": True}},  # a boolean is no number to either
        {"externalSecrets": {"secretStoreRef": {"kind": "secretstore"}}},
    ],
    ids=repr,
)
def test_the_first_pass_on_what_engines_read_differently(values):
    assert passes(values) == _jsonschema_passes(values)


def test_values_that_fail_the_first_pass_get_jsonschemas_messages():
    values = {"api": {"env": {"1abc": "x"}}, "worker": {"enabled": "yes"}}
    assert not passes(values)
    shown = [v.message for v in violations(values)]
    assert any("1abc" in m and "environment variable name" in m for m in shown), shown
    assert "worker.enabled must be a boolean (true or false), not a string" in shown, shown


def test_a_check_of_valid_values_does_not_import_jsonschema(tmp_path):
    (tmp_path / "values.yaml").write_text(
        (REPO / "examples" / "values.prod.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    probe = (
        "import sys\n"
        "from starter_lint.cli import run_cli\n"
        "code = run_cli(['check', '-q', 'values.yaml'])\n"
        "print(code, 'jsonschema' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip().splitlines()[-1] in ("0 False", "1 False"), done.stdout + done.stderr
