"""Reading input files: one place decides display paths, size limits and read errors."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Collection, Mapping
from functools import cache, lru_cache
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from .errors import InputError

# A file or folder as callers name it: a string from the command line or a config, or a Path
StrPath = str | os.PathLike[str]


def display_path(path: StrPath, cwd: StrPath | None = None) -> str:
    """Relative to the working directory when inside it (SARIF wants relative URIs)."""
    if str(path) == "-":
        return "<stdin>"
    absolute = Path(os.path.abspath(path))
    base = Path(os.path.abspath(cwd or os.getcwd()))
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()


_stdin: dict[str, bytes] = {}
_instead: dict[str, bytes] = {}  # absolute path -> bytes read in place of the file (`reading_instead`)


class reading_instead:
    """Within the block, reading these files (absolute path -> text) gives the text instead:
    how `fix` checks what its edits would leave before (or without) writing them."""

    def __init__(self, texts: Mapping[StrPath, str]) -> None:
        self.texts = {os.path.abspath(path): text.encode("utf-8") for path, text in texts.items()}

    def __enter__(self) -> reading_instead:
        _instead.update(self.texts)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for path in self.texts:
            _instead.pop(path, None)


def _read_at_most(handle: BinaryIO, count: int) -> bytes:
    """Up to `count` bytes, read in pieces the size of the file: `read(count)` would allocate
    `count` bytes up front, 64 MiB per manifest file for a limit that is only a limit (and a
    fixed smaller piece leaves holes in the heap: +3 MiB peak for 500 files)."""
    try:
        size = os.fstat(handle.fileno()).st_size  # 0 for a pipe
    except (OSError, ValueError, io.UnsupportedOperation):
        size = 0
    piece = size + 1 if size else 64 * 1024  # a file's whole text and its end in one read
    chunks = []
    while count > 0:
        wanted = min(piece, count)
        chunk = handle.read(wanted)
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
        # a file's end: no second read, whose buffer would be one more allocation per file
        if size and len(chunk) < wanted:
            break
    return b"".join(chunks)


def _stdin_bytes(limit: int | None) -> bytes:
    """Standard input, read once: every target that names `-` sees the same bytes."""

    if "data" not in _stdin:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            text = sys.stdin.read() if limit is None else sys.stdin.read(limit + 1)
            _stdin["data"] = text.encode("utf-8", "surrogateescape")
        else:
            _stdin["data"] = stream.read() if limit is None else _read_at_most(stream, limit + 1)
    return _stdin["data"]


def read_bytes(path: StrPath, limit: int | None = None) -> bytes:
    """The file's bytes, at most `limit + 1` of them (so the caller can tell it was too large);
    `-` is standard input, as Helm reads `-f -`."""
    if str(path) == "-":
        return _stdin_bytes(limit)
    if _instead and os.path.abspath(path) in _instead:
        data = _instead[os.path.abspath(path)]
        return data if limit is None else data[: limit + 1]
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"{path}: is a directory, not a file")
        with open(p, "rb") as handle:
            return handle.read() if limit is None else _read_at_most(handle, limit + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


@cache
def _repo_root(start: str) -> Path:
    folder = Path(start)
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def repo_root(cwd: StrPath | None = None) -> Path:
    """The git top level above the working directory, else the working directory."""
    return _repo_root(os.path.abspath(cwd or os.getcwd()))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def inside_repository(path: StrPath, cwd: StrPath | None = None) -> bool:
    """True when `path`, symlinks resolved, lies in the repository of the working directory."""
    return _within(
        os.path.realpath(os.path.join(os.path.abspath(cwd or os.getcwd()), str(path))),
        os.path.realpath(repo_root(cwd)),
    )


def in_git_folder(path: StrPath, cwd: StrPath | None = None) -> bool:
    """True when `path`, symlinks resolved, lies in the repository's `.git` folder: git's own
    files (hooks that git runs, `config` with the CI's credentials) are never an input or an
    output, whatever a repository's links or config say."""
    git = os.path.realpath(os.path.join(repo_root(cwd), ".git"))
    return _within(os.path.realpath(os.path.join(os.path.abspath(cwd or os.getcwd()), str(path))), git)


def allowed_roots(given: StrPath, cwd: StrPath | None = None) -> tuple[str, ...]:
    """The real folders what is read through `given` may lead into: the repository, and `given`
    itself when it was named outside the repository (only the command line can: a config's
    paths must stay inside, config.py checks that). A symlink leading anywhere else is not
    followed: a stranger's pull request must not make the tool read the runner's files."""
    root = repo_root(cwd)
    real_root = os.path.realpath(root)
    absolute = os.path.abspath(os.path.join(os.path.abspath(cwd or os.getcwd()), str(given)))
    if _within(absolute, str(root)) or _within(absolute, real_root):
        return (real_root,)
    return real_root, os.path.realpath(absolute)


def refuse_outside_link(path: StrPath, roots: tuple[str, ...], what: str, cwd: StrPath | None = None) -> None:
    """InputError when `path` resolves outside every one of `roots` (it goes through a symlink),
    or into the repository's `.git` folder through a symlink (a chart's `files/c -> ../.git/config`
    would hand the checkout's token to a template)."""
    absolute = os.path.join(os.path.abspath(cwd or os.getcwd()), str(path))
    if in_git_folder(absolute, cwd) and not _within(
        os.path.abspath(absolute), os.path.join(repo_root(cwd), ".git")
    ):
        raise InputError(
            f"{what}: {display_path(path, cwd)} leads into the repository's .git folder through a "
            "symlink; it is not followed"
        )
    if not any(
        _within(os.path.realpath(os.path.join(os.path.abspath(cwd or os.getcwd()), str(path))), root)
        for root in roots
    ):
        raise InputError(
            f"{what}: {display_path(path, cwd)} leads outside the repository through a symlink; "
            "it is not followed"
        )


def confined_files(
    given: StrPath, what: str, cwd: StrPath | None = None, suffixes: Collection[str] | None = None
) -> list[Path]:
    """The files under folder `given`, recursively and sorted (symlinked files and folders are
    followed only while they stay inside `allowed_roots`; any other is an InputError). `given`
    may also be a single file. `suffixes`: only files ending in one of them (lower-case)."""
    start = Path(os.path.abspath(os.path.join(os.path.abspath(cwd or os.getcwd()), str(given))))
    roots = allowed_roots(given, cwd)
    refuse_outside_link(start, roots, what, cwd)
    if not start.is_dir():
        return [start]
    found: list[Path] = []
    seen: set[str] = set()
    folders = [start]
    while folders:
        folder = folders.pop()
        real = os.path.realpath(folder)
        if real in seen:  # a symlink loop, or the same folder reached twice
            continue
        seen.add(real)
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            raise InputError(
                f"{what}: {display_path(folder, cwd)}: cannot read ({exc.strerror or exc})"
            ) from None
        for entry in entries:
            child = Path(entry.path)
            if entry.is_symlink():
                refuse_outside_link(child, roots, what, cwd)
            if entry.is_dir():
                folders.append(child)
            elif entry.is_file() and (suffixes is None or child.suffix.lower() in suffixes):
                found.append(child)
    return sorted(found)


def read_control_file(path: StrPath, limit: int, what: str, shown: str | None = None) -> str:
    """A small file that steers the run (config, baseline, rule file), as text: at most `limit`
    bytes (`--baseline /dev/zero` must not grow without end), UTF-8, errors as one line."""
    label = f"{what} {shown or path}"
    try:
        raw = read_bytes(path, limit)
    except InputError as exc:
        raise InputError(f"{label}: {str(exc).rsplit(': ', 1)[-1]}") from None
    if len(raw) > limit:
        raise InputError(
            f"{label}: larger than {limit // (1024 * 1024)} MiB; this is not the file starter-lint expects"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (byte {exc.start})") from None


@lru_cache(maxsize=4096)
def repo_relative(shown: str, cwd: StrPath | None = None) -> str:
    """A display path as its repository sees it (POSIX, from the git top level above the file),
    so that a fingerprint is the same whichever folder the tool ran from. Pseudo paths
    (`<stdin>`, `<rendered chart>`) keep only what they are, not where the chart was."""
    if not shown or shown == "--set":
        return shown
    if shown.startswith("<"):
        return shown.split(" ", 1)[0].rstrip(">") + ">"
    base = os.path.abspath(cwd or os.getcwd())
    absolute = Path(os.path.abspath(os.path.join(base, shown)))
    root = _repo_root(str(absolute.parent))
    if not (root / ".git").exists():
        root = repo_root(cwd)
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def write_atomic(path: StrPath, text: str, what: str = "") -> None:
    """Write `text` to `path` through a temporary file and a rename, so that a reader never sees
    half a file. A new file gets the permissions the umask gives; an existing one keeps its own."""

    label = f"{what} {path}" if what else str(path)
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as exc:
        raise InputError(f"{label}: cannot write ({exc.strerror or exc})") from None
    import tempfile  # deferred: only a write needs it (it imports shutil, random)

    try:
        fd, tmp = tempfile.mkstemp(prefix=".starter-lint-", dir=directory)
    except OSError as exc:
        raise InputError(f"{label}: cannot write there ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        remove_all(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"{label}: cannot write ({exc.strerror or exc})") from None
        raise


# temporary files and folders written and not yet removed (a set: a thread adds and removes only
# its own; `remove_written` reads a copy)
_WRITTEN: set[str] = set()


def written(path: str) -> str:
    """`path`, a temporary file or folder just written, noted until remove_all removes it: a
    process that must end at once (the language server on SIGTERM, its renders running in a
    thread that never reaches its `finally`) removes what is still noted (remove_written)."""
    _WRITTEN.add(path)
    return path


def remove_written() -> None:
    """Remove every temporary file or folder still noted (written)."""
    for path in list(_WRITTEN):
        remove_all(path)


def remove_all(path: str) -> None:
    """Remove a file or folder the run wrote (to the temporary folder, or beside an output), even
    when Ctrl-C or SIGTERM's exception (cli.Terminated) arrives while it is removed: what it holds
    may be secret (the values `helm template -f` reads, kubeconform's copies of manifests), and a
    removal cut short would leave the rest. The interrupt is raised again once the removal is done
    (a second SIGTERM is ignored by then; Ctrl-C held down gets three tries)."""
    interrupted: BaseException | None = None
    for _ in range(3):
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                import shutil  # deferred: only a folder to remove needs it

                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            break
        except OSError:
            break  # not ours to remove after all (gone, or no permission): nothing to finish
        except BaseException as exc:  # an interrupt mid-removal: finish it, then raise
            interrupted = interrupted or exc
    _WRITTEN.discard(path)
    if interrupted is not None:
        raise interrupted
