"""SL601: images must be pinned (a version tag or a digest), not a moving tag.

The disabled worker's image is not reported (docs/design/rules.md, 'What the chart does not render'). Placeholders are SL105's.
"""

from __future__ import annotations

from ..findings import Fix, Problem
from ..image_ref import image_problem
from . import check
from .contract import enabled_components


@check("SL601")
def image_tag(ctx):
    for component in enabled_components(ctx):
        path = (component, "image")
        image = ctx.get(path)
        problem = image_problem(image)
        if problem:
            trimmed = image.strip() if isinstance(image, str) and image != image.strip() else None
            fix = (
                Fix("remove the surrounding whitespace", safe=False, path=path, value=trimmed)
                if trimmed and image_problem(trimmed) is None
                else None
            )
            yield Problem(f"{component}.image {problem}", path=path, key="image-tag", fix=fix)
