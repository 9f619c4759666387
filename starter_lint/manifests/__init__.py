"""Rendered manifests: streams of Kubernetes objects with their positions."""
