"""LazyPattern (patterns compiled on first use) and what a manifests-only run leaves unloaded."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from starter_lint.lazy_pattern import LazyPattern

from .support import REPO

TEXT = "a1 b22\nc333 d4444\r\nend"


@pytest.mark.parametrize(
    ("pattern", "flags"), [(r"(\w)(\d+)", 0), (r"^\w+", re.M), (r"(?P<digits>\d{2,})", 0)]
)
def test_a_lazy_pattern_answers_as_the_compiled_pattern(pattern, flags):
    lazy, compiled = LazyPattern(pattern, flags), re.compile(pattern, flags)
    assert lazy.pattern == compiled.pattern and lazy.flags == compiled.flags
    for method in ("match", "fullmatch", "search"):
        found, expected = getattr(lazy, method)(TEXT), getattr(compiled, method)(TEXT)
        assert (found and found.group()) == (expected and expected.group())
    assert [m.span() for m in lazy.finditer(TEXT)] == [m.span() for m in compiled.finditer(TEXT)]
    assert lazy.findall(TEXT) == compiled.findall(TEXT)
    assert lazy.split(TEXT) == compiled.split(TEXT)
    assert lazy.sub("-", TEXT) == compiled.sub("-", TEXT)
    assert lazy.subn("-", TEXT, count=1) == compiled.subn("-", TEXT, count=1)
    assert lazy.search(TEXT, 3).span() == compiled.search(TEXT, 3).span()  # pos, as re takes it


def test_a_lazy_pattern_compiles_on_first_use_only():
    lazy = LazyPattern(r"x+")
    assert "match" not in vars(lazy)  # nothing compiled at import
    assert lazy.match("xx") is not None
    first = vars(lazy)["match"]
    lazy.search("axx")
    assert vars(lazy)["match"] is first  # the compiled pattern's own method from now on
    with pytest.raises(AttributeError):
        lazy.groups_by_name  # noqa: B018 (not a delegated name: no compile, no guess)


def test_an_invalid_pattern_fails_when_used():
    lazy = LazyPattern(r"(unclosed")
    with pytest.raises(re.error):
        lazy.match("x")


def test_a_manifests_run_imports_nothing_it_does_not_need(tmp_path):
    """Start-up cost (issue 12): a `check --manifests` run without inline disables needs neither
    click (a plain `check` command line is read without it: command_line.read_check) nor the
    directive parser nor decimal, nor dataclasses and inspect (records.py)."""
    (tmp_path / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n  - port: 80\n",
        encoding="utf-8",
    )
    probe = (
        "import sys\n"
        "from starter_lint.cli import run_cli\n"
        "code = run_cli(['check', '--validator', 'builtin', '-q', '--manifests', 'service.yaml'])\n"
        "print(code, sorted(m for m in ('click', 'dataclasses', 'decimal', 'inspect', 'starter_lint.directives') if m in sys.modules))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] in ("0 []", "1 []"), done.stdout + done.stderr
