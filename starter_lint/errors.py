"""Errors that stop a run: each becomes one line on stderr and exit code 2."""


class StarterLintError(Exception):
    """The tool could not do its job (bad option, missing file, failing dependency)."""

    exit_code = 2


class InputError(StarterLintError):
    """A file that cannot be read at all (missing, unreadable, a directory)."""
