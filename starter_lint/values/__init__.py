"""Values: layering files and --set over the chart defaults, keeping provenance."""
