"""The manifest objects every SL7xx/SL8xx check works on.

`ManifestSet.objects` is in input order; each object knows its file, document index, start
line, the Helm template that produced it (`# Source:`), and can map a JSON pointer inside it
to a Location (computed on demand: positions cost time and are only needed for findings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..findings import Location, Problem
from ..records import field, record

if TYPE_CHECKING:
    from .positions import Locator


@record(slots=True)  # thousands of them in a large input: no __dict__ each
class ManifestObject:
    """One Kubernetes object of the input (a List's item is one of its own), where it is written."""

    obj: dict  # the object as loaded (plain data)
    path: str  # display path of the file ("<stdin>" for -)
    index: int  # 0-based document index within the file
    line: int  # 1-based line where the document starts
    template: str | None = None  # from Helm's `# Source: chart/templates/x.yaml`
    end_line: int | None = None
    _locator: Locator | None = field(default=None, repr=False)
    # its schema Verdict when it was validated where it was read (checks.manifests.validation_ahead:
    # in the process that read it, so each of the two reading a large input validates its own)
    verdict: Any = field(default=None, repr=False, compare=False)

    def __reduce__(self):
        # the fields in order: handed between processes (turns.py) without a state dict each
        return ManifestObject, (
            self.obj,
            self.path,
            self.index,
            self.line,
            self.template,
            self.end_line,
            self._locator,
            self.verdict,
        )

    @property
    def api_version(self) -> str:
        value = self.obj.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        value = self.obj.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def metadata(self) -> dict:
        value = self.obj.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def name(self) -> str:
        value = self.metadata.get("name")
        return value if isinstance(value, str) else ""

    @property
    def namespace(self) -> str:
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) else ""

    @property
    def ref(self) -> str:
        """Kind/namespace/name (namespace omitted when empty), the logical location."""
        namespace = self.namespace
        if namespace:
            return f"{self.kind or '?'}/{namespace}/{self.name or '?'}"
        return f"{self.kind or '?'}/{self.name or '?'}"

    def locate(self, pointer: str = "") -> Location:
        """The position of the node at a JSON pointer (or its nearest existing ancestor)."""
        if self._locator is not None and pointer:
            found = self._locator(pointer)
            if found is not None:
                return found
        return Location(self.path, self.line, 1)

    def locate_many(self, pointers: list[str]) -> list[Location]:
        """`locate` of each pointer; a DocumentLocator reads the document once for all of them."""
        many = getattr(self._locator, "many", None)
        wanted = [pointer for pointer in pointers if pointer]
        if many is None or not wanted:
            return [self.locate(pointer) for pointer in pointers]
        found = iter(many(wanted))
        out = []
        for pointer in pointers:
            location = next(found) if pointer else None
            out.append(Location(self.path, self.line, 1) if location is None else location)
        return out

    def source_line(self, line: int) -> str | None:
        """The text of file line `line` in this object's document, or None (no text kept): a
        policy's CEL error is placed at a column of the file with it."""
        document = getattr(self._locator, "document", None)  # a DocumentLocator holds the text
        if document is None:
            return None
        from ..textio import split_lines  # deferred: only a policy's compile error asks

        lines = split_lines(document.text)
        index = line - document.first_line
        return lines[index] if 0 <= index < len(lines) else None

    def value_locations(self, pointer: str) -> list[Location]:
        """The spans of the scalars written at a JSON pointer (two for a key written twice)."""
        return self._locator(pointer, own=True) if self._locator is not None and pointer else []

    def get(self, *path: Any, default=None):
        node: Any = self.obj
        for part in path:
            if (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node)
            ):
                node = node[part]
            else:
                return default
        return node


@record
class ManifestSet:
    """What reading the manifests gave: the objects in input order, the problems, the texts."""

    objects: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # (rule id, Problem) found while reading (SL102, SL704)
    files: list = field(default_factory=list)  # display paths read
    sources: dict = field(default_factory=dict)  # display path -> text (for excerpts)
    rendered_by: str | None = None  # "helm" | "helm-python-sdk" | None (given)
    validated_by: str | None = None  # the schema validator SL701 chose ("builtin", "kubeconform")
    # built on first use by the rules that share them, once per run (`index_of`, the SL70x checks)
    # a manifests.index.ManifestIndex (not named here: that module is built on this one)
    index: Any = field(default=None, repr=False, compare=False)
    api_problems: dict | None = field(
        default=None, repr=False, compare=False
    )  # object position -> ApiProblem
    verdicts: dict | None = field(default=None, repr=False, compare=False)  # object position -> Verdict
    # the objects' pod templates (manifests.workloads.pod_templates), found once for the rules
    templates: list | None = field(default=None, repr=False, compare=False)


def manifest_problem(
    obj: ManifestObject, where: str, message: str, key: str, severity=None, location: Location | None = None
) -> Problem:
    """A Problem at the node `where` (a JSON pointer) of a rendered object (`location`: where
    `obj.locate(where)` already placed it)."""
    return Problem(
        message,
        location=obj.locate(where) if location is None else location,
        logical=f"{obj.ref}#{where}",
        template=obj.template,
        key=key,
        severity=severity,
    )


def describe(obj: ManifestObject) -> str:
    """`Kind name`, how a message names a rendered object."""
    return f"{obj.kind} {obj.name or '?'}"


MAX_NAMES_LISTED = 10


def listed_names(names: list[str]) -> str:
    """Names for a message, at most MAX_NAMES_LISTED of them: a message per dangling reference
    that listed every rendered name would make the report grow as references × names."""
    if len(names) <= MAX_NAMES_LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:MAX_NAMES_LISTED])} and {len(names) - MAX_NAMES_LISTED} more"
