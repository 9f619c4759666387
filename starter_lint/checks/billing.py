"""SL401–SL404: billing retries and stream replay must run in exactly one place.

The app runs both in every process whose flag is unset; the chart turns them off in the API
when `worker.enabled` unless `api.env` sets the flags explicitly (hosting guide, "Billing Worker
Topology"). With more than one API replica they belong in the dedicated worker.
A flag's value reads as `flags.read_flag` says, the same reading SL806 applies to the render.
"""

from __future__ import annotations

import json

from ..fields import number
from ..findings import Fix, Problem, format_path
from ..image_ref import image_problem, parse_image
from ..placeholders import placeholder_kind  # SL105's reading of a placeholder image
from ..values.layers import has_path
from . import check
from .contract import Flag, autoscaling_enabled, env, lookup, read_flag, worker_enabled

RETRY = "ENABLE_BILLING_RETRY_WORKER"
REPLAY = "ENABLE_BILLING_STREAM_REPLAY"
MODE = "BILLING_RETRY_DEPLOYMENT_MODE"
FLAGS = (RETRY, REPLAY)
WORKER_SETTINGS = ((RETRY, "true"), (REPLAY, "true"), (MODE, "dedicated"))


def api_sets(ctx, flag: str) -> bool:
    """`api.env` sets the flag, so the chart's auto-disable does not apply (`hasKey`). A null
    counts: the chart's defaults have no such key, so Helm keeps it and renders "<nil>", which
    the app does not recognise (it runs the task)."""
    return flag in env(ctx, "api")


def api_runs(ctx, flag: str) -> bool:
    """Does the API run this billing task? Explicit api.env wins (anything but an off value runs
    it: an unrecognised value leaves the app default, on); unset: on unless the worker runs."""
    if api_sets(ctx, flag):
        return read_flag(env(ctx, "api")[flag]) is not Flag.OFF
    return not worker_enabled(ctx)


def api_max_replicas(ctx) -> tuple:
    """(the most API replicas the values allow, the key that allows it)."""
    best: float
    source: tuple[str, ...] | None
    best, source = 1, None
    if autoscaling_enabled(ctx):
        high = number(ctx.get(("autoscaling", "api", "maxReplicas")))
        if high is not None and high > best:
            best, source = high, ("autoscaling", "api", "maxReplicas")
    # a fixed replica count only counts where the chart has such a key: the contract has none
    # (its API runs one replica without the HPA), and SL101 reports the key as ignored
    base = ctx.values.base
    for key in ("replicas", "replicaCount"):
        if base is None or ctx.chart is None or not has_path(base.data, ("api", key)):
            continue
        count = number(ctx.get(("api", key)))
        if count is not None and count > best:
            best, source = count, ("api", key)
    return best, source


def worker_runs(ctx, flag: str) -> bool:
    """Does the enabled worker run this billing task? Unset, null or unrecognised: the app
    default (on); a value from a secret cannot be read here, so it counts as on."""
    if not worker_enabled(ctx):
        return False
    source = lookup(ctx, "worker", flag)
    return source is None or source.from_secrets or read_flag(source.value) is not Flag.OFF


TASKS = {RETRY: "billing retries", REPLAY: "stream replay"}


def _no_owner(ctx):
    """Zero owners is a violation too: a task nobody runs never retries a failed charge."""
    orphaned = [flag for flag in FLAGS if not api_runs(ctx, flag) and not worker_runs(ctx, flag)]
    if not orphaned:
        return
    tasks = " or ".join(TASKS[flag] for flag in orphaned)
    it, verb = ("them", "turn") if len(orphaned) > 1 else ("it", "turns")
    first = orphaned[0]
    if worker_enabled(ctx):
        names = ", ".join(f'{flag}: "true"' for flag in orphaned)
        yield Problem(
            f"no workload runs {tasks}: worker.env turns {it} off and the API does not "
            f"run {it}; write {names} in worker.env",
            path=("worker", "env", first),
            key="no-owner",
        )
        return
    names = " and ".join(f"api.env.{flag}" for flag in orphaned)
    yield Problem(
        f"no workload runs {tasks}: worker.enabled is false and {names} {verb} {it} off; set "
        "worker.enabled=true with the worker's billing flags \"true\", or remove "
        f"{names} so that the API runs {it}",
        path=("api", "env", first),
        key="no-owner",
    )


@check("SL401")
def billing_single_owner(ctx):
    yield from _no_owner(ctx)
    if not worker_enabled(ctx):
        return
    for flag in FLAGS:
        if api_sets(ctx, flag) and api_runs(ctx, flag):
            path = ("api", "env", flag)
            how = (
                "is null (Helm renders <nil>, which the app reads as on) and turns billing back on"
                if env(ctx, "api")[flag] is None
                else "turns billing back on"
            )
            yield Problem(
                f"api.env.{flag} {how} in the API while worker.enabled is true, "
                f"so the API and the worker both run it: set api.env.{flag} to \"false\" or "
                "remove it (the chart then turns it off)",
                path=path,
                fix=Fix(f'set api.env.{flag} to "false"', safe=False, path=path, value="false"),
            )


@check("SL402")
def worker_billing_flags(ctx):
    if not worker_enabled(ctx):
        return
    for name, wanted in WORKER_SETTINGS:
        source = lookup(ctx, "worker", name)
        path = ("worker", "env", name)
        if source is None:
            yield Problem(
                f"worker.env.{name} is not set: add {name}: \"{wanted}\" to worker.env",
                path=path,
                key=name,
                fix=Fix(f'add worker.env.{name}: "{wanted}"', safe=True, path=path, value=wanted),
            )
            continue
        if source.from_secrets:
            continue  # a secret's value is not in the values; the key is there
        value = source.value
        ok = (
            read_flag(value) is Flag.ON
            if wanted == "true"
            else (isinstance(value, str) and value.strip() == wanted)
        )
        if not ok:
            yield Problem(
                f"worker.env.{name} must be \"{wanted}\" for the dedicated billing worker: "
                f"write {name}: \"{wanted}\"",
                path=path,
                key=name,
                fix=Fix(f'set worker.env.{name} to "{wanted}"', safe=False, path=path, value=wanted),
            )


@check("SL403")
def multi_replica_billing(ctx):
    if worker_enabled(ctx):
        return  # explicit API flags with the worker on are SL401's
    replicas, source = api_max_replicas(ctx)
    running = [flag for flag in FLAGS if api_runs(ctx, flag)]
    if replicas <= 1 or not running:
        return
    tasks = " and ".join(
        {"ENABLE_BILLING_RETRY_WORKER": "billing retries", "ENABLE_BILLING_STREAM_REPLAY": "stream replay"}[
            flag
        ]
        for flag in running
    )
    count = int(replicas) if float(replicas).is_integer() else replicas
    yield Problem(
        f"the API can run {count} replicas ({format_path(source)}) and {tasks} run in every one "
        "of them: set worker.enabled=true with worker.env ENABLE_BILLING_RETRY_WORKER=\"true\", "
        "ENABLE_BILLING_STREAM_REPLAY=\"true\", BILLING_RETRY_DEPLOYMENT_MODE=\"dedicated\"",
        path=source,
        key="multi-replica",
    )


def _same_image(a: str, b: str) -> bool:
    """One image however it is spelled (`acme/api:1` is `docker.io/acme/api:1`). With a digest
    on both sides the digest alone pins the content (`repo:2.4.1@sha256:X` is `repo@sha256:X`);
    the text is compared as written (a space around it is SL601's, not an equal spelling)."""
    first, second = parse_image(a), parse_image(b)
    if first.digest is not None and second.digest is not None:
        return (first.repository, first.digest) == (second.repository, second.digest)
    return (first.repository, first.tag, first.digest) == (second.repository, second.tag, second.digest)


@check("SL404")
def worker_image_skew(ctx):
    if not worker_enabled(ctx):
        return
    api_image, worker_image = ctx.get(("api", "image")), ctx.get(("worker", "image"))
    if not isinstance(api_image, str) or not isinstance(worker_image, str):
        return
    if _same_image(api_image, worker_image):
        return
    # shown as written; quoted when a space around it is the difference
    shown_api, shown_worker = (
        text if text == text.strip() else json.dumps(text) for text in (api_image, worker_image)
    )
    path = ("worker", "image")
    if image_problem(api_image) is not None or placeholder_kind(("api", "image"), api_image):
        # never recommend a placeholder or a broken reference (SL105 / SL601 report api.image)
        yield Problem(
            f"worker.image ({shown_worker}) differs from api.image ({shown_api}), "
            "but the worker runs the API image: set both to the published API image",
            path=path,
            key="skew",
        )
        return
    yield Problem(
        f"worker.image ({shown_worker}) differs from api.image ({api_image}), "
        f"but the worker runs the API image: set worker.image to {api_image}",
        path=path,
        key="skew",
        fix=Fix("set worker.image to api.image", safe=False, path=path, value=api_image),
    )
