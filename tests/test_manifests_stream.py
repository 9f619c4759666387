"""Reading manifest streams: documents, lists, positions, Helm's Source comments, bad input."""

from __future__ import annotations

import io
import sys

import pytest

from starter_lint.errors import InputError
from starter_lint.manifests import stream
from starter_lint.manifests.index import ManifestIndex
from starter_lint.options import Options

from .support import DATA

CASES = DATA / "kubeconform" / "cases"

HELM = """---
# Source: starter/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
---
# Source: starter/templates/disabled.yaml
---
# Source: starter/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - port: 80
      targetPort: http
"""


def test_documents_templates_and_start_lines():
    loaded = stream.load_text(HELM, "out.yaml")
    assert [(o.kind, o.line, o.index, o.template) for o in loaded.objects] == [
        ("ServiceAccount", 3, 0, "starter/templates/serviceaccount.yaml"),
        ("Service", 11, 2, "starter/templates/service.yaml"),
    ]
    assert loaded.problems == []
    assert loaded.sources["out.yaml"] == HELM


def test_locate_maps_json_pointers_to_lines_and_columns():
    service = stream.load_text(HELM, "out.yaml").objects[1]
    port = service.locate("/spec/ports/0/port")
    assert (port.path, port.line, port.col) == ("out.yaml", 17, 13)
    assert service.locate("/spec/ports/0/targetPort").line == 18
    # a pointer to a missing field falls back to its nearest existing ancestor
    assert service.locate("/spec/ports/0/nope").line == 17
    assert service.locate("/metadata").line == 13


def test_list_kinds_become_objects_with_their_own_positions():
    text = (
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n  data: {k: v}\n"
    )
    objects = stream.load_text(text, "list.yaml").objects
    assert [o.name for o in objects] == ["a", "b"]
    assert objects[1].locate("/data/k").line == 10
    assert objects[1].line == 8


def test_yaml_error_costs_one_document_only():
    loaded = stream.load_text((CASES / "10-multi-doc-syntax-error-2nd.yaml").read_text(), "c.yaml")
    assert [o.name for o in loaded.objects] == ["first", "third"]
    [(rule, problem)] = loaded.problems
    assert rule == "SL102" and problem.location.line == 13 and "document 2" in problem.message


def test_tags_are_never_constructed():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: !!python/object/apply:os.system ['echo hi']\n"
    loaded = stream.load_text(text, "evil.yaml")
    assert loaded.objects == []
    [(rule, problem)] = loaded.problems
    assert rule == "SL102" and "never constructed" in problem.message and problem.location.line == 5


def test_kubernetes_scalar_semantics():
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  when: 2024-01-01\n  true: a\n  5: b\n"
    )
    [obj] = stream.load_text(text, "k.yaml").objects
    assert obj.obj["data"] == {"when": "2024-01-01", "true": "a", "5": "b"}


def test_duplicate_keys_are_reported_like_kubernetes_refuses_them():
    loaded = stream.load_text((CASES / "11-duplicate-key.yaml").read_text(), "d.yaml")
    [(rule, problem)] = loaded.problems
    assert rule == "SL103" and problem.location.line == 7 and "'key'" in problem.message


def test_non_mapping_documents_and_empty_input():
    loaded = stream.load_text("- 1\n- 2\n", "l.yaml")
    assert [r for r, _ in loaded.problems] == ["SL704"] and "not a Kubernetes object" in loaded.problems[0][
        1
    ].message
    empty = stream.load_text("# nothing\n---\n", "e.yaml")
    [(rule, problem)] = empty.problems
    assert rule == "SL704" and "no Kubernetes objects" in problem.message


def test_deep_nesting_is_a_finding_not_a_crash():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: " + "[" * 5000 + "]" * 5000 + "\n"
    loaded = stream.load_text(text, "deep.yaml")
    assert loaded.objects == [] and loaded.problems[0][0] == "SL102"


def test_directories_are_read_recursively_in_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: z}\n")
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "c.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}')
    (tmp_path / "notes.txt").write_text("not a manifest")
    loaded = stream.load_paths([str(tmp_path)], Options(cwd=str(tmp_path)))
    assert [o.name for o in loaded.objects] == ["a", "z", "c"]
    assert loaded.files == ["a.yaml", "b/z.yml", "c.json"]


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        stream.load_paths([str(tmp_path / "missing.yaml")], Options())


def test_stdin(monkeypatch):
    fake = io.TextIOWrapper(io.BytesIO(HELM.encode("utf-8")))
    monkeypatch.setattr(sys, "stdin", fake)
    loaded = stream.load_paths(["-"], Options())
    assert [o.path for o in loaded.objects] == ["<stdin>", "<stdin>"]


def test_unreadable_bytes_are_a_finding(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(b"apiVersion: v1\nkind: \xff\xfe\n")
    loaded = stream.load_paths([str(tmp_path / "bad.yaml")], Options(cwd=str(tmp_path)))
    assert (
        loaded.objects == [] and loaded.problems[0][0] == "SL102" and "UTF-8" in loaded.problems[0][1].message
    )


def test_index_finds_duplicates_in_the_release_namespace():
    text = (DATA / "kubeconform" / "upstream-fixtures" / "duplicates-with-namespace-default.yaml").read_text()
    objects = stream.load_text(text, "d.yaml").objects
    assert ManifestIndex(objects, "default").duplicates() == []
    assert len(ManifestIndex(objects, "the-default-namespace").duplicates()) == 1
    assert ManifestIndex(objects, "the-default-namespace").get("ReplicationController", "bob") is objects[0]


def test_alias_bomb_is_a_finding_not_a_hang():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n"
        + "\n".join("  " + line for line in lines)
        + "\n"
    )
    loaded = stream.load_text(text, "bomb.yaml")
    assert (
        loaded.objects == [] and loaded.problems[0][0] == "SL102" and "alias" in loaded.problems[0][1].message
    )


def test_objects_sharing_an_identity_are_grouped_in_the_order_first_seen():
    def obj(kind, name, api="v1", namespace=None):
        metadata = {"name": name} | ({"namespace": namespace} if namespace else {})
        return f"---\napiVersion: {api}\nkind: {kind}\nmetadata: {metadata}\n"

    text = "".join(
        [
            obj("Service", "b"),
            obj("Service", "a"),
            obj("Deployment", "a", "apps/v1"),
            obj("Service", "a"),
            obj("Service", "a", namespace="default"),  # the release namespace: the same identity
            obj("Deployment", "a", "extensions/v1beta1"),  # another group: another identity
            obj("Service", "b"),
            obj("Service", "c", namespace="other"),
            obj("Service", ""),  # no name: never a duplicate
            obj("Service", ""),
        ]
    )
    loaded = stream.load_text(text, "all.yaml")
    index = ManifestIndex(loaded.objects)
    lines = [[o.line for o in group] for group in index.duplicates()]
    assert lines == [[2, 26], [6, 14, 18]]
