"""Policies a team writes in CEL: values policies and the cluster's admission policies (docs/policies.md)."""
