"""JSON pointers built from keys and indices (starter_lint/pointer.py): the joined fast form
must equal escaping each token, whatever the tokens hold."""

from __future__ import annotations

import itertools

import pytest

from starter_lint.pointer import build, escape, path, tokens


def _escaped_each(*parts) -> str:
    return "".join("/" + escape(part) for part in parts)


@pytest.mark.parametrize(
    "parts, expected",
    [
        ((), ""),
        (("",), "/"),
        (("", ""), "//"),
        (("spec", "containers", 0, "image"), "/spec/containers/0/image"),
        (("a/b",), "/a~1b"),
        (("a~b", 1), "/a~0b/1"),
        (("~1",), "/~01"),
        (("/", "/"), "/~1/~1"),
        (("metadata", "annotations", "helm.sh/hook"), "/metadata/annotations/helm.sh~1hook"),
        ((True, None, 2.5), "/True/None/2.5"),
    ],
)
def test_build(parts, expected):
    assert build(*parts) == expected == _escaped_each(*parts)
    assert tokens(build(*parts)) == [str(part) for part in parts]


def test_build_equals_escaping_each_token():
    alphabet = ["", "a", "~", "/", "~1", "a/b", "0", 3]
    for count in range(4):
        for parts in itertools.product(alphabet, repeat=count):
            assert build(*parts) == _escaped_each(*parts), parts


def test_path_reads_a_built_pointer_back():
    assert path(build("spec", "ports", 1, "a/b~")) == ("spec", "ports", 1, "a/b~")
