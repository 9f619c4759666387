"""SL501–SL504: HPA bounds and container resources.

HPA rules apply to api and web while `autoscaling.enabled`; resources to every component the
chart renders (the worker only when enabled). Wrong types are SL100's; these rules skip them.
"""

from __future__ import annotations

from ..fields import number
from ..findings import Problem, Severity, format_path
from . import check
from .contract import SCALED, autoscaling_enabled, enabled_components, mapping, parse_quantity

MEBIBYTE = 2**20


def _show(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@check("SL501")
def hpa_min_max(ctx):
    if not autoscaling_enabled(ctx):
        return
    for component in SCALED:
        low = number(ctx.get(("autoscaling", component, "minReplicas")))
        high = number(ctx.get(("autoscaling", component, "maxReplicas")))
        if low is not None and high is not None and low > high:
            yield Problem(
                f"autoscaling.{component}.minReplicas ({_show(low)}) is above "
                f"autoscaling.{component}.maxReplicas ({_show(high)}), which Kubernetes rejects: "
                f"lower minReplicas to at most {_show(high)} or raise maxReplicas",
                path=("autoscaling", component, "minReplicas"),
                key=component,
            )


@check("SL502")
def hpa_bounds(ctx):
    if not autoscaling_enabled(ctx):
        return
    for component in SCALED:
        for bound in ("minReplicas", "maxReplicas"):
            value = number(ctx.get(("autoscaling", component, bound)))
            if value is not None and value < 1:
                yield Problem(
                    f"autoscaling.{component}.{bound} is {_show(value)}: set it to 1 or more "
                    "(an HPA cannot scale to zero)",
                    path=("autoscaling", component, bound),
                    key=bound,
                )
    path = ("autoscaling", "targetCPUUtilizationPercentage")
    target = number(ctx.get(path))
    if target is None:
        return
    if target < 1:
        yield Problem(
            f"autoscaling.targetCPUUtilizationPercentage is {_show(target)}: set a target "
            "between 1 and 100 (70–80 is usual)",
            path=path,
            key="cpu-low",
        )
    elif target > 100:
        yield Problem(
            f"autoscaling.targetCPUUtilizationPercentage is {_show(target)} %, above the CPU "
            "request: pods run past their request before scaling out; use 100 or less unless "
            "you mean it",
            path=path,
            severity=Severity.WARNING,
            key="cpu-high",
        )


@check("SL503")
def hpa_needs_cpu_request(ctx):
    if not autoscaling_enabled(ctx) or ctx.get(("autoscaling", "targetCPUUtilizationPercentage")) is None:
        return
    for component in SCALED:
        requests = mapping(ctx, (component, "resources", "requests"))
        if requests.get("cpu") in (None, ""):
            yield Problem(
                f"{component} autoscales on CPU but {component}.resources.requests.cpu is not set, "
                f"so the HPA cannot compute utilisation and never scales: add "
                f"{component}.resources.requests.cpu (such as 250m)",
                path=(component, "resources", "requests", "cpu"),
            )


MAX_PLAUSIBLE_CPUS = 64  # a request or limit above this is a missing `m` (`250` for `250m`)

# (section, resource, what to suggest) that must be set; a CPU limit is optional (docs/design/rules.md)
REQUIRED = (("requests", "cpu", "250m"), ("requests", "memory", "256Mi"), ("limits", "memory", "512Mi"))


def _quantity(ctx, component, section, resource):
    """(path, parsed Decimal or None, problem message or None) for one resource entry."""
    path = (component, "resources", section, resource)
    value = mapping(ctx, path[:-1]).get(resource)
    if value in (None, ""):
        return path, None, None
    try:
        amount = parse_quantity(value)
    except ValueError as exc:
        return (
            path,
            None,
            f"{format_path(path)} {exc}: write a quantity such as "
            + ("500m or 1" if resource == "cpu" else "512Mi or 1Gi"),
        )
    if resource == "memory" and amount < MEBIBYTE:
        return (
            path,
            None,
            (
                f"{format_path(path)} is {amount.normalize():f} bytes (a bare number or 'm' "
                "means bytes / thousandths of a byte): write it with a unit, such as 512Mi"
            ),
        )
    if resource == "cpu" and amount > MAX_PLAUSIBLE_CPUS and not str(value).strip().endswith("m"):
        return (
            path,
            None,
            (
                f"{format_path(path)} is {amount.normalize():f} whole CPUs, more than any "
                f"node offers, so the pod never schedules: a bare number means cores; for "
                f"millicores write {amount.normalize():f}m"
            ),
        )
    return path, amount, None


@check("SL504")
def resources(ctx):
    for component in enabled_components(ctx):
        parsed = {}
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                path, amount, problem = _quantity(ctx, component, section, resource)
                if problem:
                    yield Problem(problem, path=path, key=f"{section}.{resource}:invalid")
                parsed[(section, resource)] = (path, amount, problem)
        for section, resource, example in REQUIRED:
            path, amount, problem = parsed[(section, resource)]
            if amount is None and problem is None:
                why = (
                    "the scheduler needs it"
                    if section == "requests"
                    else "without it one pod can take the node's memory"
                )
                yield Problem(
                    f"{format_path(path)} is not set ({why}): add it, such as {example}",
                    path=path,
                    key=f"{section}.{resource}:missing",
                )
        for resource in ("cpu", "memory"):
            request_path, request, _ = parsed[("requests", resource)]
            limit_path, limit, _ = parsed[("limits", resource)]
            if request is not None and limit is not None and request > limit:
                yield Problem(
                    f"{format_path(request_path)} is above {format_path(limit_path)}, which "
                    f"Kubernetes rejects: lower the request or raise the limit",
                    path=request_path,
                    key=f"{resource}:above-limit",
                )
