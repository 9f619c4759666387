"""`starter-lint server`: the Language Server Protocol over stdio, so an editor shows the same
findings as `check` while the file is being written (docs/editor.md).

The package sits above the report layer and below the CLI: it runs the pipeline on the editor's
unsaved text and turns findings into the protocol's diagnostics, hovers, code actions and
completions. pygls is imported only here, and only when the server starts.
"""
