"""check, values, rules, explain and schema never write into the user's tree."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from .support import REPO, cli


def _snapshot(root: Path) -> dict:
    out = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[path.relative_to(root).as_posix()] = (digest, info.st_mode, info.st_mtime_ns)
    return out


def test_read_only_commands_write_nothing(tmp_path):
    tree = tmp_path / "repo"
    tree.mkdir()
    for name in ("values.prod.yaml", "values.broken.yaml"):
        shutil.copy(REPO / "examples" / name, tree / name)
    before = _snapshot(tree)
    commands = [
        ("check", "values.prod.yaml"),
        ("check", "values.broken.yaml", "--format", "json"),
        ("check", "-f", "values.prod.yaml", "-f", "values.broken.yaml"),
        ("values", "-f", "values.broken.yaml", "--provenance"),
        ("rules",),
        ("explain", "SL103"),
        ("schema",),
    ]
    for args in commands:
        result = cli(*args, cwd=tree, env={"HOME": str(tmp_path / "home")})
        assert result.returncode in (0, 1), (args, result.stderr)
    assert _snapshot(tree) == before
    leftovers = [p for p in tree.iterdir() if p.name.startswith(".starter-lint")]
    assert not leftovers
