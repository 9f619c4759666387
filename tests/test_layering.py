"""The package's layering, read from the source with `ast` (CONTRIBUTING.md, "Layering").

Data flows one way, so imports point one way: a module imports only from its own layer or the
layers below it, never upward, and no group of modules imports itself round in a circle.
Bottom to top:

    leaf helpers -> yaml -> values / manifests -> validate -> checks -> pipeline -> report -> server -> cli

Every module has a layer in LAYER_OF (by package prefix where a package is one layer); a new
module fails `test_every_module_has_a_layer` until it is placed there.

Imports belong at the top of a module. One inside a function is allowed only where it keeps
start-up fast (a heavy or optional dependency that most runs never need) and its line says so:
`import jsonschema  # deferred: <why>`. There is no allow-list: an import that breaks a rule is
moved (or the module it needs is moved down a layer).

Imports under `if TYPE_CHECKING:` are read by the type checker only; they are no run-time
dependency, so the layering and cycle tests leave them out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .support import REPO

PACKAGE = REPO / "starter_lint"

LAYERS = (
    "leaf helpers",
    "yaml",
    "values / manifests",
    "validate",
    "checks",
    "pipeline",
    "report",
    "server",
    "cli",
)

# Module, or package prefix, -> layer. The longest matching entry wins; the package itself
# (`starter_lint`, __version__ only) matches exactly, never as a prefix.
LAYER_OF = {
    "starter_lint": "leaf helpers",
    # leaf helpers: each imports at most other leaf helpers
    "starter_lint.catalog": "leaf helpers",  # the rule files by id; checks and reporters read it
    "starter_lint.rule_file": "leaf helpers",  # one rule file read into a Rule (on first lookup)
    "starter_lint.context": "leaf helpers",
    "starter_lint.directives": "leaf helpers",  # inline suppression comments' syntax
    "starter_lint.errors": "leaf helpers",
    "starter_lint.fields": "leaf helpers",  # typed reads of arbitrary YAML (as_list, as_dict, number)
    "starter_lint.findings": "leaf helpers",
    "starter_lint.flags": "leaf helpers",  # how a billing flag reads, for the values and the render
    "starter_lint.gofmt": "leaf helpers",
    "starter_lint.identity": "leaf helpers",
    "starter_lint.image_ref": "leaf helpers",
    "starter_lint.inputregex": "leaf helpers",
    "starter_lint.jsontypes": "leaf helpers",
    "starter_lint.lazy_pattern": "leaf helpers",  # regular expressions compiled on first use
    "starter_lint.option_table": "leaf helpers",  # every option declared once
    "starter_lint.options": "leaf helpers",
    "starter_lint.paths": "leaf helpers",
    "starter_lint.placeholders": "leaf helpers",  # contract placeholders (SL105, SL404)
    "starter_lint.pointer": "leaf helpers",
    "starter_lint.records": "leaf helpers",  # classes declared by their fields (the dataclasses this package uses)
    "starter_lint.redact": "leaf helpers",
    "starter_lint.related": "leaf helpers",
    "starter_lint.report.escape": "leaf helpers",  # output neutralising, used below report too
    "starter_lint.resources": "leaf helpers",
    "starter_lint.speedups": "leaf helpers",  # the fast-path switch the tests turn off
    "starter_lint.turns": "leaf helpers",  # work taken in turns by this process and forked children
    "starter_lint.textio": "leaf helpers",
    "starter_lint.tree": "leaf helpers",
    # reading YAML as Helm does
    "starter_lint.yamlio": "yaml",
    # where secrets are written: it reads each document of a values file on its own
    "starter_lint.redact_source": "yaml",
    # the inputs of a target: layered values, manifest streams, charts rendered into manifests
    "starter_lint.values": "values / manifests",
    "starter_lint.manifests": "values / manifests",
    "starter_lint.render": "values / manifests",
    "starter_lint.render_sdk": "values / manifests",
    "starter_lint.template_refs": "values / manifests",  # .Values references in chart templates
    "starter_lint.validate": "validate",
    "starter_lint.checks": "checks",
    # policies in CEL: the engine, values policies; loaded once per run, evaluated as checks
    "starter_lint.policy": "checks",
    "starter_lint.policy.examples": "pipeline",  # `policy test`: runs the pipeline on each example
    # running checks over targets: planning, suppressing, fixing
    "starter_lint.pipeline": "pipeline",
    "starter_lint.finish": "pipeline",  # findings placed, cleaned, deduplicated (pipeline and policy child)
    "starter_lint.config": "pipeline",
    "starter_lint.config_reader": "pipeline",
    "starter_lint.targets": "pipeline",
    "starter_lint.results": "pipeline",
    "starter_lint.suppress": "pipeline",
    "starter_lint.fix": "pipeline",
    "starter_lint.report": "report",
    "starter_lint.server": "server",  # the language server: runs the pipeline on an editor's text
    "starter_lint.cli": "cli",  # the entry point: a plain check without click, else click
    "starter_lint.cli_click": "cli",  # the commands and their options as click reads them
    "starter_lint.cli_options": "cli",
    "starter_lint.command_line": "cli",  # a command's values into Options; `check` read without click
    "starter_lint.commands": "cli",  # what each command does, apart from how it is read
    "starter_lint.__main__": "cli",
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a submodule when `from package import submodule`)
    path: Path
    line: int
    in_function: bool
    deferred: bool  # a `# deferred:` comment on one of the statement's lines
    annotations_only: bool = False  # under `if TYPE_CHECKING:`: no run-time dependency

    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict:
    """module name -> file, for every module of the package."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(node: ast.ImportFrom, module: str, is_package: bool, known: dict) -> list:
    if node.level:
        base = module.split(".")
        if not is_package:
            base.pop()
        base = base[: len(base) - (node.level - 1)]
        origin = ".".join(base + ([node.module] if node.module else []))
    else:
        origin = node.module or ""
    return [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin for alias in node.names]


def _in_function(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return True
    return False


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    """Inside `if TYPE_CHECKING:`: read by the type checker, never imported at run time."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.If) and node in parent.body:
            test = parent.test
            if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
            ):
                return True
        node = parent
    return False


def imports_of(module: str, path: Path, known: dict) -> list:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text, str(path))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            targets = _resolve(node, module, path.name == "__init__.py", known)
        else:
            continue
        statement = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
        deferred = any("# deferred:" in line for line in statement)
        for target in dict.fromkeys(targets):
            found.append(
                Import(
                    module,
                    target,
                    path,
                    node.lineno,
                    _in_function(node, parents),
                    deferred,
                    _type_checking_only(node, parents),
                )
            )
    return found


def all_imports() -> list:
    known = package_modules()
    return [found for module, path in known.items() for found in imports_of(module, path, known)]


def layer(module: str) -> str | None:
    if module == "starter_lint":
        return LAYER_OF[module]
    matches = [
        key for key in LAYER_OF if key != "starter_lint" and (module == key or module.startswith(key + "."))
    ]
    return LAYER_OF[max(matches, key=len)] if matches else None


def internal(target: str) -> bool:
    return target == "starter_lint" or target.startswith("starter_lint.")


def test_every_module_has_a_layer():
    unmapped = [module for module in package_modules() if layer(module) is None]
    assert not unmapped, (
        f"modules without a layer: {unmapped}; add each (or its package) to LAYER_OF in "
        f"tests/test_layering.py, one of {LAYERS}"
    )
    assert set(LAYER_OF.values()) <= set(LAYERS)


def test_no_module_imports_upward():
    upward = []
    for found in all_imports():
        if not internal(found.target) or found.annotations_only:
            continue
        source, target = layer(found.source), layer(found.target)
        if source is None or target is None or LAYERS.index(target) <= LAYERS.index(source):
            continue
        upward.append(f"{found.where()}: {found.source} ({source}) imports {found.target} ({target})")
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def _cycles(graph: dict) -> list:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    found: list = []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    """Function-level imports count: a cycle hidden inside a function is still a cycle."""
    graph: dict = {}
    for found in all_imports():
        if internal(found.target) and found.target != found.source and not found.annotations_only:
            graph.setdefault(found.source, set()).add(found.target)
    cycles = _cycles(graph)
    assert not cycles, f"modules that import each other, directly or round a circle: {cycles}"


def test_function_level_imports_say_why():
    unexplained = [
        f"{found.where()}: {found.target}"
        for found in all_imports()
        if found.in_function and not found.deferred
    ]
    assert not unexplained, (
        "imports inside functions: move them to the top of the module, or say on the line why they "
        "must wait (`# deferred: <why>`):\n" + "\n".join(unexplained)
    )


def test_deferred_reasons_are_on_function_level_imports_only():
    """`# deferred:` explains waiting; a module-level import that says it is deferred is not."""
    wrong = [found.where() for found in all_imports() if found.deferred and not found.in_function]
    assert not wrong, wrong
