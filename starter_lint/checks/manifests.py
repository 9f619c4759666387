"""SL701–SL704: each rendered object against the Kubernetes (or CRD) schema and API lifecycle.

One validation pass (built-in or kubeconform, `--validator`) serves SL701 and SL702; SL703
decides first whether an apiVersion is removed, so a removed API is never also "unknown".
Objects without apiVersion or kind are SL704's and are not validated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import speedups
from ..errors import StarterLintError
from ..findings import Location, Problem, Severity, format_path
from ..manifests.index import index_of
from ..manifests.model import manifest_problem
from ..option_table import DEFAULT_KUBE_VERSION
from ..pointer import path as pointer_path
from ..validate.apis import ApiProblem, ApiVersions
from ..validate.schemas import kube_schemas
from ..validate.validators import select_validator
from ..validate.verdicts import MISSING
from . import check

if TYPE_CHECKING:
    from ..manifests.stream import Prepare


def _format_pointer(pointer: str) -> str:
    """/spec/ports/0/port -> spec.ports[0].port (how the rest of the tool names paths)."""
    return format_path(pointer_path(pointer)) or "(the object)"


def _typed(obj) -> bool:
    return bool(obj.api_version) and bool(obj.kind)


def _api_problems(ctx) -> dict:
    """index in ctx.manifests.objects -> ApiProblem, computed once per run."""
    cached = ctx.manifests.api_problems
    if cached is None:
        versions = ApiVersions(ctx.options.kube_version if ctx.options else DEFAULT_KUBE_VERSION)
        cached = {}
        # a few (apiVersion, kind) pairs among thousands of objects: each is checked once
        known: dict[tuple[str, str], ApiProblem | None] = {}
        for i, obj in enumerate(ctx.manifests.objects):
            problem = _api_problem(obj, versions, known)
            if problem is not None:
                cached[i] = problem
        ctx.manifests.api_problems = cached
    return cached


def _api_problem(obj, versions: ApiVersions, known: dict) -> ApiProblem | None:
    """The object's API lifecycle problem (`known`: those of the pairs met before), or None."""
    if not _typed(obj):
        return None
    pair = (obj.api_version, obj.kind)
    if pair not in known:
        known[pair] = versions.check(*pair)
    return known[pair]


def _validated(obj, problem: ApiProblem | None) -> bool:
    """An object is validated when it is typed and its API is not removed (or still served)."""
    return _typed(obj) and (problem is None or problem.served_at_minimum)


def validation_ahead(options) -> Prepare | None:
    """What the manifest reader (stream.load_paths) does to the objects it reads, where it reads
    them: with the built-in validator, each object SL701/SL702 validate gets its verdict there.
    A large input is read by two processes at once (turns.py), so each validates the files it
    read, on its own core, and the verdicts come back with the objects: the same verdicts, the
    same validator, only sooner. None when neither rule runs; an object left without a verdict
    (another validator, or one that cannot be had: its error is raised by `_verdicts`, as
    before) is validated by `_verdicts`."""
    if not speedups.FAST_PATHS or not (options.selects("SL701") or options.selects("SL702")):
        return None  # (the tests' reference path validates after the reading)
    made: list = []  # this process's validator and API versions, made at its first objects

    def validate(objects: list) -> None:
        if not made:
            try:
                validator = select_validator(options)
            except StarterLintError:
                validator = None
            made.append((validator, ApiVersions(options.kube_version or DEFAULT_KUBE_VERSION), {}))
        validator, versions, known = made[0]
        if validator is None or validator.name != "builtin":
            return
        # (a large file's objects come here twice: each part's where it was read, then all of
        # them; those validated already keep their verdict)
        chosen = [
            obj
            for obj in objects
            if obj.verdict is None and _validated(obj, _api_problem(obj, versions, known))
        ]
        if chosen:
            for obj, verdict in zip(chosen, validator.validate_all(chosen), strict=True):
                obj.verdict = verdict

    return validate


def _verdicts(ctx) -> dict:
    """index -> Verdict for every typed object whose API is not removed (validated once)."""
    cached = ctx.manifests.verdicts
    if cached is None:
        removed = _api_problems(ctx)
        chosen = [(i, obj) for i, obj in enumerate(ctx.manifests.objects) if _validated(obj, removed.get(i))]
        if chosen and all(obj.verdict is not None for _, obj in chosen):
            # validated where they were read (validation_ahead), by the built-in validator
            ctx.manifests.validated_by = "builtin"
            ctx.manifests.verdicts = {i: obj.verdict for i, obj in chosen}
            return ctx.manifests.verdicts
        # chosen even when nothing is to validate: `--validator kubeconform` without the binary
        # is an error (exit 2) whatever the input holds
        validator = select_validator(ctx.options)
        cached = {}
        if chosen:
            ctx.manifests.validated_by = validator.name
            verdicts = validator.validate_all([obj for _, obj in chosen])
            for (i, _), verdict in zip(chosen, verdicts, strict=True):
                cached[i] = verdict
        ctx.manifests.verdicts = cached
    return cached


def _schema_name(obj, version: str) -> str:
    """The schema an object was held to: Kubernetes' own for a built-in kind, else its CRD's."""
    if kube_schemas(version).served(obj.api_version, obj.kind):
        return f"the Kubernetes {version} schema"
    return f"the {obj.kind} schema ({obj.api_version})"


@check("SL701", needs="manifests")
def manifest_schema(ctx):
    version = ctx.options.kube_version if ctx.options else DEFAULT_KUBE_VERSION
    for i, verdict in sorted(_verdicts(ctx).items()):
        obj = ctx.manifests.objects[i]
        for error in verdict.errors:
            field = _format_pointer(error.pointer)
            yield Problem(
                f"{obj.ref} {obj.api_version}: {field}: {error.message}; fix it to match "
                f"{_schema_name(obj, version)}",
                location=obj.locate(error.at or error.pointer),
                logical=f"{obj.ref}#{error.pointer}",
                template=obj.template,
                key=f"{error.pointer}:{error.message}",
            )
        for note in verdict.unchecked:
            yield Problem(
                f"{obj.ref} {obj.api_version}: {_format_pointer(note.pointer)}: {note.message}; this "
                "part of the object is unverified",
                severity=Severity.NOTE,
                location=obj.locate(note.pointer),
                logical=f"{obj.ref}#{note.pointer}",
                template=obj.template,
                key=f"{note.pointer}:{note.message}",
            )


@check("SL702", needs="manifests")
def unknown_kind(ctx):
    version = ctx.options.kube_version if ctx.options else DEFAULT_KUBE_VERSION
    for i, verdict in sorted(_verdicts(ctx).items()):
        if verdict.status != MISSING:
            continue
        obj = ctx.manifests.objects[i]
        yield manifest_problem(
            obj,
            "/kind",
            f"{obj.ref}: no schema for kind {obj.kind} in {obj.api_version} (Kubernetes {version}), so it "
            "was not validated; pass its CustomResourceDefinition with --crd, or fix the apiVersion/kind",
            key=f"{obj.api_version}/{obj.kind}",
        )


@check("SL703", needs="manifests")
def removed_api(ctx):
    for i, problem in sorted(_api_problems(ctx).items()):
        obj = ctx.manifests.objects[i]
        fix = (
            f"use apiVersion {problem.replacement}"
            if problem.replacement
            else "remove it or move to its successor"
        )
        yield manifest_problem(
            obj,
            "/apiVersion",
            f"{obj.ref}: {problem.kind} {problem.api_version} {problem.message}; {fix}",
            key=f"{problem.api_version}/{problem.kind}",
        )


@check("SL704", needs="manifests")
def manifest_structure(ctx):
    for obj in ctx.manifests.objects:
        missing = [
            field
            for field, present in (
                ("apiVersion", bool(obj.api_version)),
                ("kind", bool(obj.kind)),
                (
                    "metadata.name",
                    bool(obj.name)
                    or (
                        isinstance(obj.metadata.get("generateName"), str)
                        and bool(obj.metadata.get("generateName"))
                    ),
                ),
            )
            if not present
        ]
        if missing:
            names = " and ".join(missing)
            yield Problem(
                f"{obj.ref}: {names} {'is' if len(missing) == 1 else 'are'} missing or not a string; "
                "every Kubernetes object needs apiVersion, kind and metadata.name",
                location=Location(obj.path, obj.line, 1),
                logical=f"{obj.ref}#",
                template=obj.template,
                key="missing:" + ",".join(missing),
            )
    for objects in index_of(ctx.manifests, ctx.options).duplicates():
        first = objects[0]
        for again in objects[1:]:
            yield Problem(
                f"{again.ref} is defined twice (first at {first.path}:{first.line}); the second silently "
                "replaces the first on apply: remove or rename one",
                location=Location(again.path, again.line, 1),
                logical=f"{again.ref}#",
                template=again.template,
                key="duplicate",
            )
