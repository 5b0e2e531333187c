"""Reading a response file for a command: the reading flags (every option of
:data:`crmsurvey.options.READING`, the keywords of :func:`crmsurvey.load_responses` and
the study file's ``data:``/``exclude``/``screening:`` keys) given to each command by
:func:`reads_responses`, the weight flag, the screened responses, the one line saying
what was kept, and a model file checked against the data."""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from .. import _defaults as D
from ..errors import InputError
from ..options import READING
from ._common import _pairs, check_group, option_flag


@dataclass(frozen=True)
class Reading:
    """How a command reads its response file: ``kwargs`` for
    :func:`crmsurvey.load_responses` (``exclude`` as screening rules) and the reading
    flags given on the command line (``given``: options, not flags)."""

    kwargs: dict[str, Any]
    given: tuple[str, ...]


def _flags() -> dict[str, tuple[Any, Any]]:
    """Every reading option's flag and type, in the table's order."""
    out = {}
    for name, o in READING.fields.items():
        decl = "--" + name.replace("_", "-")
        if name == "mapping":
            out[name] = (Optional[List[str]], option_flag(
                READING, name, "--map", metavar="COLUMN=ITEM", more=" Repeatable."))
        elif name == "values":
            out[name] = (Optional[List[str]], option_flag(
                READING, name, "--value", metavar="ITEM=VALUE", more=" Repeatable."))
        elif name == "exclude":  # unset: the study's rules; 'none'
            out[name] = (Optional[List[str]], _exclude_flag())
        elif o.annotation in (int, float):
            out[name] = (o.annotation, option_flag(READING, name, decl))
        else:
            out[name] = (Optional[str], option_flag(READING, name, decl))
    return out


def reading_options(**given: Any) -> Reading:
    """The reading flags' values as :func:`crmsurvey.load_responses` takes them, checked
    by the options table (the message every surface gives)."""
    values = dict(given)
    values["mapping"] = _pairs(given["mapping"] or [], "--map") or None
    values["values"] = _pairs(given["values"] or [], "--value") or None
    values["exclude"] = _rules(given["exclude"])
    if isinstance(given["sheet"], str) and given["sheet"].isdigit():
        values["sheet"] = int(given["sheet"])  # a number: the sheet's position from 0
    settings = READING.validated(**values).kwargs()
    changed = tuple(k for k, v in given.items() if v not in (None, [])
                    and (k == "exclude" or v != READING.default(k)))
    return Reading(settings, changed)


def reads_responses(command: Callable) -> Callable:
    """``command`` (taking ``reading: Reading``) with every reading flag: the one
    definition each command that reads a response file shares."""
    flags = _flags()
    sig = inspect.signature(command)
    own = [p for p in sig.parameters.values() if p.name != "reading"]
    added = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=flag,
                               annotation=tp) for n, (tp, flag) in flags.items()]

    @functools.wraps(command)
    def with_reading(*args: Any, **kwargs: Any) -> Any:
        kwargs["reading"] = reading_options(**{n: kwargs.pop(n) for n in flags})
        return command(*args, **kwargs)

    with_reading.__signature__ = sig.replace(parameters=own + added)  # type: ignore[attr-defined]
    with_reading.__annotations__ = {
        **{k: v for k, v in command.__annotations__.items() if k != "reading"},
        **{n: tp for n, (tp, _) in flags.items()}}
    return with_reading


def _exclude_flag():
    return typer.Option(None, "--exclude", metavar="RULE,...|none",
                        help="Screening rules that exclude rows, "
                        "comma-separated or repeated (duplicate, screened_out, attention, "
                        "speeder, straightlining, missing, invalid_weight, or all); 'none' "
                        "keeps every row. Default: as a study, "
                        + ", ".join(D.SCREEN_EXCLUDE) + ".")


def _weight_flag():
    return typer.Option(None, "--weight", metavar="COL|none",
                        help="Sampling-weight column, or 'none' for "
                        "unweighted. Default: the questionnaire's weight item, if the data "
                        "has it.")


def _rules(exclude: list[str] | None) -> list[str]:
    """--exclude as screening rules: the study default when not given, none for 'none'."""
    if not exclude:
        return list(D.SCREEN_EXCLUDE)
    rules = [r.strip() for e in exclude for r in e.split(",") if r.strip()]
    if "none" in rules:
        if rules != ["none"]:
            raise InputError("--exclude none keeps every row: give it alone, not with rules")
        return []
    return rules


def _screened(q, data: Path, reading: Reading, weight: str | None = None,
              weighted: bool = True):
    """Responses screened as a study screens them, the weights an estimator takes (see
    :func:`_weights`) and one line saying what was excluded and how the rows are weighted
    (``weighted=False``: a command without weights), for :func:`_say` once the command's
    work is done (an error stays the only line)."""
    from ..responses import load_responses

    r = load_responses(q, data, **reading.kwargs)
    weights = _weights(r, weight) if weighted else None
    note = f"; {_weight_note(r, weights)}" if weighted else ""
    return r, weights, _screening_line(r.log) + note


def _screening_line(log) -> str:
    """One line: rows kept, excluded by rule, flagged only, how to switch it off."""
    line = f"screened: {log.rows_kept:,} of {log.rows_read:,} rows kept"
    if log.rules_on:
        gone = ", ".join(f"{n:,} {rule}" for rule, n in log.excluded.items() if n)
        line += f"; excluded {gone or 'none'} (--exclude none keeps every row)"
    else:
        line += " (--exclude none: no screening rule on)"
    only = ", ".join(f"{n:,} {rule}" for rule, n in log.flagged.items()
                     if n and rule not in log.rules_on)
    missing = log.set_missing()
    return line + (f"; flagged only: {only}" if only else "") + (
        f"; {_set_missing_text(missing)}" if missing else "")


#: How the one-line exclusion summary counts the rows each screening rule excluded.
_EXCLUDED_AS = {"duplicate": ("duplicate", "duplicates"),
                "screened_out": ("screened out", "screened out"),
                "attention": ("failed attention check", "failed attention checks"),
                "speeder": ("speeder", "speeders"),
                "straightlining": ("straightliner", "straightliners"),
                "missing": ("with too many blanks", "with too many blanks"),
                "invalid_weight": ("invalid weight", "invalid weights")}


def exclusion_line(rows_read: int, rows_kept: int, excluded: dict[str, int],
                   where: str) -> str:
    """``kept 590 of 601 rows; excluded: 6 duplicates, 5 speeders (see WHERE)``, or ""
    when no row was excluded."""
    if rows_kept >= rows_read:
        return ""
    gone = ", ".join(f"{n:,} {_EXCLUDED_AS.get(rule, (rule, rule))[n != 1]}"
                     for rule, n in excluded.items() if n)
    return f"kept {rows_kept:,} of {rows_read:,} rows; excluded: {gone} (see {where})"


def _set_missing_text(counts: dict[str, int]) -> str:
    """Answers set missing because off the scale or unreadable, in a few words."""
    cols = ", ".join(f"{k} {v}" for k, v in list(counts.items())[:4]) + (
        ", …" if len(counts) > 4 else "")
    return (f"{sum(counts.values()):,} answer(s) off the scale or unreadable set missing "
            f"({cols}; crmsurvey responses check names the rows)")


def _weights(r, weight: str | None):
    """--weight for an estimator given Responses ``r``: None (the questionnaire's weight
    item, if any), False (none) or a column of the checked data."""
    if weight is None:
        return None
    if weight.strip().lower() == "none":
        return False
    if weight not in r.data.columns:
        have = [c for c in r.data.columns if r.questionnaire.items[c].role == "weight"]
        raise InputError(f"--weight {weight!r} is not a column of the checked responses",
                         hint=f"the questionnaire's weight item is {have[0]!r}" if have else
                         "give the weight an item with role 'weight' in the questionnaire")
    return weight


def _weight_note(r, weights) -> str:
    w = r.weights.name if weights is None and r.weights is not None else \
        weights if isinstance(weights, str) else None
    return f"weighted by {w!r} (--weight none for unweighted)" if w else "unweighted"


def _model_and_data(model: Path, data: Path, reading: Reading, weight: str | None = None,
                    syntax: Path | None = None, group: str | None = None):
    """Model, data, weights and a note: a questionnaire (its model, or the lavaan file
    ``syntax`` (``--model``) checked against the responses by :func:`_model_columns`;
    responses checked and screened as a study screens them) or a lavaan file (data as
    read, no screening: there is no questionnaire to screen by; non-numbers are reported
    by column and row when the model is fitted), and a line saying which rows are used
    and how they are weighted. ``group`` (``--group``), with a questionnaire, is one of
    its group items and a column of the data (:func:`check_group`)."""
    from .._yaml import read_text

    if model.suffix.lower() in (".yaml", ".yml") or (not model.is_file() and not model.suffix):
        from ..questionnaire import load_questionnaire

        q = load_questionnaire(model)
        r, weights, said = _screened(q, data, reading, weight)
        if group is not None:
            check_group(q, group, r.data.columns, data)
        if syntax is None:
            return q, r, weights, said
        text = read_text(syntax)
        _model_columns(syntax, text, r.data.columns, data)
        return text, r, weights, said
    if syntax is not None:
        raise InputError(f"--model goes with a questionnaire: {str(model)!r} is already a "
                         "model file", hint="give QUESTIONNAIRE DATA --model FILE, or the "
                         "model file alone: MODEL DATA")
    from ..responses.readers import read_table

    if "exclude" in reading.given and reading.kwargs["exclude"]:
        raise InputError("--exclude needs a questionnaire: a lavaan model file brings no "
                         "screening rules", hint="fit the questionnaire's model (crmsurvey "
                         "cbsem QUESTIONNAIRE DATA), or give --exclude none")
    needs = [n for n in reading.given if n not in ("exclude", "encoding", "sheet")]
    if needs:
        flags = ", ".join("--map" if n == "mapping" else "--" + n.replace("_", "-")
                          for n in needs)
        raise InputError(f"{flags} needs a questionnaire: a lavaan model file has no items "
                         "to map, recode or screen", hint="fit the questionnaire's model "
                         "(QUESTIONNAIRE DATA)")
    frame = read_table(data, encoding=reading.kwargs["encoding"],
                       sheet=reading.kwargs["sheet"]).frame
    w = None if weight is None or weight.strip().lower() == "none" else weight
    said = (f"not screened: {len(frame):,} rows read, none excluded (a lavaan model file "
            f"has no questionnaire to screen by); "
            f"{f'weighted by {w!r}' if w else 'unweighted'}")
    text = read_text(model)
    _model_columns(model, text, frame.columns, data)
    return text, frame, w, said


def _model_columns(model: Path, text: str, columns, data: Path, *,
                   lavaan_only: bool = True) -> None:
    """The one check of a model file against the data (``pls --model``, ``cbsem``): the
    first observed variable the data lack is an InputError at the model file's line and
    column, naming the data file and the closest column ("did you mean"). Syntax this
    reader does not take is an error there too (``lavaan_only``), else left to the
    estimator's own reader (PLS's extensions)."""
    import difflib
    import re

    from ..cbsem.partable import parse_syntax

    try:
        flats = parse_syntax(text)
    except InputError as exc:
        if not lavaan_only:
            return
        raise InputError(exc.msg, path=exc.path or str(model), line=exc.line,
                         column=exc.column, hint=exc.hint) from None
    latent = {f.lhs for f in flats if f.op in ("=~", "<~")}
    cols = [str(c) for c in columns]
    for f in flats:
        names = [f.rhs] if f.op in ("=~", "<~") else [f.lhs, f.rhs] if f.op in ("~", "~~") \
            else []
        for name in names:
            if name in latent or name in cols or not name.isidentifier():
                continue
            line = text.splitlines()[f.line - 1] if 0 < f.line <= len(text.splitlines()) \
                else ""
            at = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", line)
            close = difflib.get_close_matches(name, cols, n=1)
            raise InputError(f"{name!r} is neither a factor of the model nor a column of "
                             f"{str(data)!r}", path=str(model), line=f.line,
                             column=at.start() + 1 if at else None,
                             hint=f"did you mean {close[0]!r}?" if close else "")
