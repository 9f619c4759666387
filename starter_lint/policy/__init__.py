"""Policies a team brings: CEL rules over the values and the cluster's admission policies (docs/policies.md)."""
