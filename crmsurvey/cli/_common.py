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


def group_flag(help: str, *, required: bool = False):
    """``--group ITEM``: the one flag of every command that fits or compares by the levels
    of a group item (the study file's ``groups:``): ``pls``, ``cbsem``, ``invariance``,
    ``nps``. ``help`` says what the command does per level."""
    return typer.Option(... if required else None, "--group", metavar="ITEM", help=help)


def renamed_flag(new: Any, old: Any, old_name: str, new_name: str) -> Any:
    """The value of a flag given by its old name (a hidden option kept working): the new
    flag's value, or the old one's with a one-line note on stderr naming the new flag.
    Both given with different values is an error."""
    if old is None:
        return new
    if new is not None and new != old:
        raise InputError(f"{old_name} is the old name of {new_name}: give {new_name} alone")
    _say(f"note: {old_name} is now {new_name} ({old_name} will be removed)")
    return old


def check_group(q, item: str, columns=None, data: Path | None = None) -> None:
    """``--group ITEM`` names a group item of the questionnaire ``q`` (and, given the
    checked data's ``columns``, one the data file ``data`` has): else an InputError."""
    if item not in q.items or q.items[item].role != "group":
        have = q.items_with_role("group")
        raise InputError(f"--group {item!r} is not a group item of the questionnaire",
                         hint=f"its group items: {', '.join(have)}" if have else
                         "give the item role 'group' in the questionnaire")
    if columns is not None and item not in columns:
        raise InputError(f"--group {item!r}: the data have no such column",
                         path=None if data is None else str(data))


def group_levels(q, values) -> list[tuple[Any, str]]:
    """The levels of a group item present in ``values`` (blanks left out), each with its
    label: a coded item's by its scale, in the scale's order; others as written, sorted."""
    sc = q.scale(values.name) if q is not None and values.name in q.items else None
    labels = {k: q.text(v) if isinstance(v, dict) else str(v)
              for k, v in (getattr(sc, "values", None) or {}).items()}
    present = set(values.dropna().tolist())
    coded = [k for k in labels if k in present]
    rest = sorted(present - set(coded), key=lambda v: (str(type(v)), v))
    return [(k, labels[k]) for k in coded] + [(v, str(v)) for v in rest]


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
