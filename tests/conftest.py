import sys

import pytest

from . import sarif_rules

# The CLI raises the limit for deep (but bounded) YAML; do it once up front so hypothesis does not
# warn that the limit changed under it.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))


@pytest.fixture(scope="module")
def checker():
    """The project's SARIF checker (the official schema plus GitHub code scanning's rules)."""
    return sarif_rules
