"""Manifest validation: schemas, the built-in validator, the kubeconform wrapper, API versions."""
