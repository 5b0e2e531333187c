"""The ``crmsurvey`` command line. Exit codes: 0 success, 2 bad input, 1 internal failure.

The app, its root options and :func:`main` are here; the commands live in one module per
subject — :mod:`.tools` (questionnaire, responses check, simulate), :mod:`.estimate` (pls,
cbsem, invariance), :mod:`.analytics` (nps, weights, kano, rfm, clv), :mod:`.study`
(schema, run, report, demo) — with the flags and helpers of reading a response file in
:mod:`.reading` and the terminal output in :mod:`._common`.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator

import typer

from ..errors import InputError, surface
from ._common import _out

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode="markdown",
                  help="Customer-satisfaction and loyalty research: questionnaires, "
                       "responses, PLS-PM and CB-SEM, CSI indices, reports.")
qapp = typer.Typer(no_args_is_help=True, help="Validate, show, print and compile "
                   "questionnaires; codebooks; survey-platform export and import.")
rapp = typer.Typer(no_args_is_help=True, help="Check collected responses.")
app.add_typer(qapp, name="questionnaire")
app.add_typer(rapp, name="responses")


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        _out(f"crmsurvey {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", envvar="CRMSURVEY_QUIET",
                               help="No progress bars (they are off anyway when stderr is "
                               "not a terminal). Give it before the command."),
) -> None:
    """Options for every command (the help text shown is the app's)."""
    global _QUIET
    _QUIET = quiet


#: ``--quiet`` (set by the root callback for one invocation; ``main`` resets it)
_QUIET = False


@contextmanager
def _quiet_dependencies() -> Iterator[None]:
    """While a command runs, other packages' warnings (semopy, matplotlib, PyTensor's BLAS
    notice, NumPy's overflow notes, …) and their log records below ERROR stay off the
    terminal, so an error is one line; crmsurvey's own warnings (``CrmWarning``) show as
    Python shows them. ``CRMSURVEY_DEBUG=1`` shows everything."""
    if os.environ.get("CRMSURVEY_DEBUG"):
        yield
        return
    import logging
    import warnings

    from ..errors import CrmWarning

    shown, disabled = warnings.showwarning, logging.root.manager.disable

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, CrmWarning):
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        warnings.showwarning = shown
        logging.disable(disabled)


def _clean_help(command):
    """Plain flags (``--json``, ``--help``) take no value: show no ``<bool>`` beside them
    in ``--help`` (typer prints a type for every option). Returns ``command``."""
    for param in command.params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    help_option = command.get_help_option(typer.Context(command))
    if help_option is not None:
        help_option.metavar = ""
    _whole_names(command)
    for sub in getattr(command, "commands", {}).values():
        _clean_help(sub)
    return command


def _names_width(params) -> int:
    """The console width at which rich's help table shows every name of ``params``
    whole. Rich shares a narrow console between the columns — names, types, help — by
    narrowing the widest first, and cuts the names short once the others are down to
    their width; so it suffices that every column capped at the widest name column fits
    (panel border and padding 4, column padding 2 each but at the edges)."""
    names = [[",".join(o for o in p.opts if o.startswith("--")),
              ",".join(getattr(p, "human_readable_name", "") if not o.startswith("-")
                       else o for o in p.opts if not o.startswith("--")),
              ",".join(o for o in p.secondary_opts if o.startswith("--")),
              ",".join(o for o in p.secondary_opts if not o.startswith("--"))]
             for p in params]
    columns = [max((len(r[i]) for r in names), default=0) for i in range(4)]
    cap = max(columns, default=0)
    required = any(p.required for p in params)
    n_columns = 4 + 2 + required  # names, type, help, the required mark
    return 4 + sum(columns) + 2 * cap + required + 2 * n_columns - 2


def _whole_names(command) -> None:
    """``--help`` of ``command`` never cuts an option's name short: the console is as
    wide as the terminal (``COLUMNS``, 80 for a pipe; ``TERMINAL_WIDTH`` as typer reads
    it) or as the names need (:func:`_names_width`), whichever is wider — so
    ``crmsurvey pls --help | grep straightline-min-items`` finds the option."""
    shown = command.format_help
    panels: dict = {}  # typer prints a table per panel: arguments, options, named ones
    for p in command.params:
        default = "Arguments" if p.param_type_name == "argument" else "Options"
        panels.setdefault(getattr(p, "rich_help_panel", None) or default, []).append(p)
    need = max((_names_width(params) for params in panels.values()), default=0)

    def format_help(ctx, formatter) -> None:
        from rich.console import Console
        from typer import rich_utils

        saved = rich_utils.MAX_WIDTH
        rich_utils.MAX_WIDTH = max(saved or Console().size.width, need)
        try:
            return shown(ctx, formatter)
        finally:
            rich_utils.MAX_WIDTH = saved

    command.format_help = format_help


def _one_line(text: str) -> str:
    """A message from elsewhere (click, an internal failure) as one terminal-safe line."""
    from ..errors import printable

    return printable(" ".join(text.splitlines()))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turn bad input into one line and exit code 2."""
    # typer >= 0.20 vendors click; its ClickException is a base of typer.BadParameter
    click_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    command = _clean_help(typer.main.get_command(app))
    global _QUIET
    _QUIET = False  # --quiet is for one invocation
    try:
        with _quiet_dependencies(), surface("cli"):
            code = command.main(args=argv, prog_name="crmsurvey", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except InputError as exc:
        sys.stderr.write(f"error: {exc.one_line()}\n")
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 1
    except click_error as exc:
        sys.stderr.write(f"error: {_one_line(exc.format_message())}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an internal failure: say so, traceback only on request
        if os.environ.get("CRMSURVEY_DEBUG"):
            raise
        sys.stderr.write(f"internal error: {type(exc).__name__}: {_one_line(str(exc))} "
                         "(set CRMSURVEY_DEBUG=1 for the traceback)\n")
        return 1


def run() -> None:
    sys.exit(main())


# the commands, registered in the order ``--help`` lists them
from . import tools, estimate, analytics, study  # noqa: E402,F401
from ._common import _stages  # noqa: E402,F401
from .reading import _exclude_flag, _rules  # noqa: E402,F401
