"""The entry point: a command line in, an exit code out, every error one line on stderr.

A plain `check` is read without click (command_line.read_check) and run at once; everything else
goes to click (cli_click), imported only then. Exit codes: commands.
"""

from __future__ import annotations

import gc
import os
import signal
import sys

from .command_line import read_check
from .commands import EXIT_ERROR, EXIT_OK, check, say
from .errors import StarterLintError
from .textio import room_for_nesting

EXIT_TERMINATED = 128 + signal.SIGTERM  # what a shell reports for a command SIGTERM ended


class Terminated(BaseException):
    """SIGTERM (a cancelled CI job, `timeout`), raised where the run is, as Ctrl-C raises
    KeyboardInterrupt: every `finally` on the way out runs, and removes what the run wrote to the
    temporary folder (the values file `helm template -f` reads holds the user's secrets;
    kubeconform's copies hold the manifests' Secrets) and stops its children. Python's default
    for SIGTERM ends the process where it is, leaving them behind for the next job on the runner.
    A BaseException, as KeyboardInterrupt: no `except Exception` takes it for an error."""


def _end_on_sigterm() -> list[bool]:
    """SIGTERM raises Terminated in this process, until the returned flag's one item is set True
    (the run is over: a SIGTERM then waits for the exit). A forked child inherits the handler and
    dies of the signal as by default, unless its work sets a handler of its own: `turns` does, so
    a child checking a `-j` target removes its temporary files as this process does when it is
    stopped (its parent asks with SIGTERM). The `server` command sets its own (it ends at once).

    A Terminated raised inside a finalizer (`weakref.finalize`, `__del__`) would be printed as
    "Exception ignored" and lost: the SIGTERM is sent again, to be raised where the run is."""
    main, over = os.getpid(), [False]

    def terminated(signum: int, frame: object) -> None:
        if os.getpid() != main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if over[0]:
            return
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the cleaning is not cut short by a second one
        raise Terminated

    shown = sys.unraisablehook

    def unraisable(unraisable: sys.UnraisableHookArgs) -> None:
        if isinstance(unraisable.exc_value, Terminated) and os.getpid() == main:
            signal.signal(signal.SIGTERM, terminated)
            os.kill(main, signal.SIGTERM)  # raised at the next line the run runs
            return
        shown(unraisable)

    try:
        signal.signal(signal.SIGTERM, terminated)
    except (ValueError, OSError):  # not the main thread (an embedding program): its default stays
        return over
    sys.unraisablehook = unraisable
    return over


def _run(args: list) -> None:
    params = read_check(args)
    if params is None:
        from .cli_click import click_main  # deferred: click loads only for what read_check leaves to it

        click_main(args)
    else:
        check(params.pop("target_names"), params.pop("statistics"), params)


def run_cli(argv=None) -> int:
    """The entry point: every error becomes one line on stderr and exit code 2."""
    room_for_nesting()
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" in args:
        # everything after `--` is a file (the pre-commit hook puts its file names there): even
        # a file named `-` is that file, not standard input
        cut = args.index("--") + 1
        args[cut:] = [os.path.join(".", a) if a == "-" else a for a in args[cut:]]
    for stream in (sys.stdout, sys.stderr):
        # what the reporters and `say` do not escape (a diff's file name that is not UTF-8, a
        # terminal that is not UTF-8) is written as \x.. escapes, never an encoding crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        _run(args)
        return EXIT_OK
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_ERROR)
    except StarterLintError as exc:
        say(f"error: {exc}")
        return EXIT_ERROR
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stays open until exit)
        except OSError:
            pass
        return EXIT_ERROR
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except Terminated:
        say("terminated")
        return EXIT_TERMINATED
    except MemoryError:
        say("error: out of memory")
        return EXIT_ERROR
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("STARTER_LINT_DEBUG"):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (set STARTER_LINT_DEBUG=1 for the traceback)")
        return EXIT_ERROR


def entry_point() -> None:
    over = _end_on_sigterm()
    try:
        code = run_cli()
        over[0] = True  # the run is over: a SIGTERM from here raises nothing (nothing would catch it)
    except Terminated:  # while run_cli printed its error line, or returned
        code = EXIT_TERMINATED
    # The process ends here. Its shutdown collects the cycles among every object still alive,
    # module by module (a check of one release: 30 ms, an eighth of its CPU), to free memory the
    # exit frees anyway; frozen objects are left out. Nothing here needs a collection to finish:
    # the report is written and flushed, --output closed, exit handlers still run.
    gc.freeze()
    sys.exit(code)
