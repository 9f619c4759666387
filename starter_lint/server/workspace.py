"""The language server's view of the workspace: for each document, the folder `check` would be
run in (the folder of the nearest `.starter-lint.yaml` above the document, in its repository;
else the editor's workspace folder that holds it; else its repository's root), the Options
`check` builds there with no arguments, and which documents are values files.

A monorepo keeps its config beside the deployment (`deploy/.starter-lint.yaml`) while the editor
opens the repository's root: each document finds its own config, as `check` run from the
document's folder would, so one server serves every config of the workspace.

A document gets diagnostics when it is a values file (docs/editor.md, "What it checks"):
- a file a config target lists (checked as that target: its chart as the base layer, its other
  layers, as the pre-commit hook checks a lone changed file: targets.file_targets);
- a file named `values*.yaml` / `values*.yml`;
- a file whose first lines carry the contract's modeline, the comment `starter-lint schema`
  output is used with: `# yaml-language-server: $schema=…values.schema.json`.
"""

from __future__ import annotations

import fnmatch
import os
import re

from ..config import CONFIG_NAMES, apply_config, find_config
from ..errors import StarterLintError
from ..options import Options
from ..paths import repo_root
from ..records import replace

_VALUES_NAMES = ("values*.yaml", "values*.yml")
# the modeline of a values file that uses the drop-in schema (`starter-lint schema`)
_MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=\S*values\.schema\.json\s*$", re.M)
_MODELINE_LINES = 5  # the modeline is looked for in the file's first lines only


def has_modeline(text: str) -> bool:
    head = "\n".join(text.splitlines()[:_MODELINE_LINES])
    return _MODELINE.search(head) is not None


def is_config_file(path: str) -> bool:
    return os.path.basename(path) in CONFIG_NAMES


class Workspace:
    """The root and the options read from its config. `options` is None while the config is
    broken (`error` says why, one line, as `check` prints it); `reload` reads it again."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.options: Options | None = None
        self.error: str | None = None
        self.listed: frozenset[str] = frozenset()  # real paths the config's targets list
        self.layers: list[frozenset[str]] = []  # each config target's values files (real paths)
        self.reload()

    def reload(self) -> str | None:
        """Read the config again; returns the error line when it is broken (else None)."""
        options = Options(cwd=self.root)
        try:
            apply_config(options, None)
        except StarterLintError as exc:
            self.options, self.error, self.listed, self.layers = None, f"error: {exc}", frozenset(), []
            return self.error
        self.options, self.error = options, None
        self.layers = [
            frozenset(os.path.realpath(os.path.join(self.root, path)) for path in target.files if path != "-")
            for target in options.config_targets
        ]
        self.listed = frozenset().union(*self.layers)
        return None

    def partners(self, path: str) -> frozenset[str]:
        """The other files (real paths) layered with `path` by a config target: a change to one
        can change the findings in the others."""
        real = os.path.realpath(path)
        return frozenset().union(*(files for files in self.layers if real in files)) - {real}

    def is_values_document(self, path: str, text: str) -> bool:
        """Whether the document at `path` (absolute) gets diagnostics."""
        name = os.path.basename(path)
        if any(fnmatch.fnmatch(name, pattern) for pattern in _VALUES_NAMES):
            return True
        if os.path.realpath(path) in self.listed:
            return True
        return has_modeline(text)

    def options_for(self, path: str, render: bool) -> Options | None:
        """The Options `check PATH` would use in the root (None while the config is broken): the
        file resolves to the config targets that list it, or its own target (targets.file_targets)."""
        if self.options is None:
            return None
        # the config's policies are not evaluated here: a policy comes from the repository, and
        # in this threaded process nothing could bound what a runaway one takes (`check` runs
        # them in a child with memory and time limits, docs/policies.md); docs/editor.md says so
        return replace(
            self.options,
            policies=[],
            values_files=[path],
            files=[],
            manifests=[],
            targets=[],
            partial_run=True,
            output=None,
            render=render,
        )


class Workspaces:
    """The Workspace of each document: one per folder `check` runs in, read on first use."""

    def __init__(self, folders: list[str]) -> None:
        self.folders = [os.path.abspath(folder) for folder in folders]
        self._by_root: dict[str, Workspace] = {}

    def root_of(self, path: str) -> str:
        """The folder `check` runs in for the document at `path` (absolute)."""
        folder = os.path.dirname(os.path.abspath(path))
        config = find_config(folder)
        if config is not None:
            return str(config.parent)
        holders = [f for f in self.folders if os.path.commonpath([f, folder]) == f]
        if not holders:
            return str(repo_root(folder))
        # the innermost workspace folder that holds it, and its config (outside a git repository
        # the search above looks in the document's own folder only)
        holder = max(holders, key=len)
        config = find_config(holder)
        return str(config.parent) if config is not None else holder

    def for_path(self, path: str) -> Workspace:
        root = self.root_of(path)
        workspace = self._by_root.get(root)
        if workspace is None:
            workspace = self._by_root[root] = Workspace(root)
        return workspace

    def first(self) -> Workspace | None:
        """The first workspace folder's Workspace (whose broken config is shown at start)."""
        return self.for_root(self.folders[0]) if self.folders else None

    def for_root(self, root: str) -> Workspace:
        config = find_config(root)
        folder = str(config.parent) if config is not None else os.path.abspath(root)
        workspace = self._by_root.get(folder)
        if workspace is None:
            workspace = self._by_root[folder] = Workspace(folder)
        return workspace

    def reload(self) -> list[str]:
        """Read every config again (a config may have appeared, moved or gone: each document
        finds its own again); the error lines of those that are broken."""
        roots = list(self._by_root)
        self._by_root.clear()
        errors = []
        for root in roots:
            workspace = self.for_root(root)
            if workspace.error is not None and workspace.error not in errors:
                errors.append(workspace.error)
        return errors
