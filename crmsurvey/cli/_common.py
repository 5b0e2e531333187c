"""What every command shares: output on stdout, notes on stderr, progress bars, the
check of an output path, name=value pairs and tables."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, List

import typer

from ..errors import InputError


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _say(line: str) -> None:
    """A note to the user on stderr (stdout keeps the result alone)."""
    sys.stderr.write(line + "\n")


def option_flag(table, name: str, *decls: str, more: str = "", **extra: Any):
    """The flag of option ``name`` of an options table (:mod:`crmsurvey.options`): the
    table's default, its description as help, its allowed values shown and completed by
    the shell. The table validates the value, with the message Python gives."""
    choices = table.choices(name)
    if choices:
        extra.setdefault("metavar", "[" + "|".join(choices) + "]")
        extra["autocompletion"] = lambda incomplete: [c for c in choices
                                                      if c.startswith(incomplete)]
    return typer.Option(table.default(name), *decls,
                        help=table.fields[name].description + more, **extra)


def _check_output(output: Path, *inputs: Path) -> None:
    """A single-file output may be neither a folder nor one of the command's inputs."""
    from .._io import check_output

    check_output(output, *inputs)


def _pairs(values: List[str], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise InputError(f"{what} {v!r} is not of the form name=value")
        k, val = v.split("=", 1)
        out[k.strip()] = val.strip()
    return out


def _table_out(frame, as_json: bool, extra: dict | None = None) -> None:
    from .._format import format_table, json_safe

    if as_json:
        payload = {"rows": frame.to_dict("records"), **(extra or {})}
        _out(json.dumps(json_safe(payload), ensure_ascii=False, indent=2))
    else:
        _out(format_table(frame, 2).to_string(index=False))
        for k, v in (extra or {}).items():
            _out(f"{k}: {v}")


class _stages:
    """Rich progress bars on stderr for the stages of a run; silent when stderr is not
    a terminal or with ``--quiet``. ``say(stage, done, total)``; ``total=None`` is a
    step with no count (a pulsing bar until ``say(stage, 1, 1)``)."""

    def __enter__(self):
        self.bar = None
        from . import _QUIET  # set by the root callback for this invocation

        if _QUIET or not sys.stderr.isatty():
            return lambda stage, done, total: None
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)

        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        tasks: dict[str, int] = {}

        def say(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = self.bar.add_task(stage, total=total)
            self.bar.update(tasks[stage], completed=done, total=total)

        return say

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()
