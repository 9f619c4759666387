"""Read YAML exactly as Helm reads values, keeping the position of every key and value.

Helm parses values with go-yaml v2 (YAML 1.1 scalar rules), converts the result to JSON and back,
so every number becomes a float64 and every key a string. We rebuild that from a YAML *event*
stream (never a constructor), so no tag can ever construct a Python object, aliases are budgeted
before anything is expanded, and each node keeps its line and column;
`tests/test_helm_parity.py` checks all of it against Helm's own SDK on a generated corpus.

The way through the package: `events` (text -> parser events -> a node tree per document, libyaml
or the go-yaml scanner port in `goyaml_scanner`), `decode` (go-yaml's decoder, then
sigs.k8s.io/yaml's JSON conversion), `resolve` (how one scalar resolves), `notes` (SL103/SL104),
`model` (what comes out), `load` (the entry points). Importers use the names below.
"""

from ..textio import MAX_DEPTH, YamlLoadError, decode_bytes
from .events import MAX_GOYAML_PATH_CHARS
from .load import MAX_VALUES_BYTES, as_chart_defaults, load_documents, load_values, split_documents
from .model import LoadedYaml, OtherReading, Span, YamlNote
from .resolve import helm_number, key_to_string, resolve_plain

__all__ = [
    "MAX_DEPTH",
    "MAX_GOYAML_PATH_CHARS",
    "MAX_VALUES_BYTES",
    "LoadedYaml",
    "OtherReading",
    "Span",
    "YamlLoadError",
    "YamlNote",
    "as_chart_defaults",
    "decode_bytes",
    "helm_number",
    "key_to_string",
    "load_documents",
    "load_values",
    "resolve_plain",
    "split_documents",
]
