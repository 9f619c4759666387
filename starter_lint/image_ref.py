"""Container image references: parsing (`host:5000/team/app:1.2@sha256:…`) and pinning.

`parse_image` splits a reference into name, tag and digest as the distribution reference grammar
does; `image_problem` says why a reference is not pinned to a version or digest (SL601, and the
worker/API image comparison of SL404); the rendered-workload model compares repositories with it.
"""

from __future__ import annotations

from .lazy_pattern import LazyPattern
from .records import record

MOVING_TAGS = ("latest", "stable", "main", "master", "edge", "dev", "develop", "nightly", "head")
_DIGEST = LazyPattern(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}\Z")
_SHA256 = LazyPattern(r"sha256:[0-9a-f]{64}\Z")
_TAG = LazyPattern(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
# the distribution reference grammar: an optional registry host (with a port), then lower-case
# path components separated by `.`, `_`, `__` or dashes
_NAME = LazyPattern(
    r"(?:(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\Z"
)


@record(frozen=True)
class ImageRef:
    """A container image reference split into name, tag and digest."""

    name: str  # registry/repository, without tag or digest
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        """The name as a registry resolves it: `acme/api`, `docker.io/acme/api` and
        `index.docker.io/acme/api` are one repository; `nginx` is `docker.io/library/nginx`."""
        first, _, rest = self.name.partition("/")
        if not rest or ("." not in first and ":" not in first and first != "localhost"):
            first, rest = "docker.io", self.name
        if first == "index.docker.io":
            first = "docker.io"
        if first == "docker.io" and "/" not in rest:
            rest = "library/" + rest
        return f"{first}/{rest}"


def parse_image(reference: str) -> ImageRef:
    """`host:5000/team/app:1.2@sha256:…` → name, tag, digest. A port is not a tag.

    The text is taken as written: a space around it is part of the name (and SL601's to report).
    """
    text = reference
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
    last = text.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        tag = last.rsplit(":", 1)[1]
        text = text[: len(text) - len(tag) - 1]
    return ImageRef(text, tag, digest)


def image_problem(reference: object) -> str | None:
    """Why an image reference is not pinned, or None."""
    if reference is None:
        return "is not set: set it to registry/repository:version"
    if not isinstance(reference, str):
        return "is not an image reference string: write registry/repository:version"
    if not reference.strip():
        return "is empty: set it to registry/repository:version"
    if reference != reference.strip():
        # Kubernetes refuses an image with surrounding whitespace (a trailing newline from `|`)
        return f"has leading or trailing whitespace, which Kubernetes rejects: write {reference.strip()}"
    ref = parse_image(reference)
    if not _NAME.match(ref.name):
        return (
            "is not a valid image reference: repository names are lower-case ASCII letters and "
            "digits separated by `.`, `_`, `-` or `/`, such as registry.example.org/team/app:1.2.3"
        )
    if ref.digest is not None:
        pattern = _SHA256 if ref.digest.startswith("sha256:") else _DIGEST
        if not pattern.match(ref.digest):
            return "has a malformed digest: write @sha256: followed by 64 lower-case hex digits"
        return None
    if ref.tag is None or ref.tag == "":
        return f"has no tag, so Kubernetes pulls latest: pin a version, such as {ref.name}:1.2.3, or a digest"
    if not _TAG.match(ref.tag):
        return f"has an invalid tag: pin a version, such as {ref.name}:1.2.3"
    if ref.tag.lower() in MOVING_TAGS:
        return (
            f"uses the moving tag {ref.tag}, so a restart can pull different code: pin a version, "
            f"such as {ref.name}:1.2.3, or a digest (@sha256:…)"
        )
    return None
