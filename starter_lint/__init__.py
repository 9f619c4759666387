"""starter-lint: policy and lint checks for the starter Helm chart."""

__version__ = "0.1.0"
