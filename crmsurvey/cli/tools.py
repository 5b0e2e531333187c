"""The questionnaire's and the responses' tools: ``questionnaire validate|show|syntax|print|
codebook|export|import``, ``responses check`` and ``simulate``."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError
from . import qapp, rapp, app
from ._common import _check_output, _out, _pairs, _say
from .reading import Reading, exclusion_line, reads_responses


@qapp.command("validate")
def q_validate(file: Path) -> None:
    """Check a questionnaire; print every problem, one line each."""
    from ..questionnaire import load_questionnaire

    try:
        q = load_questionnaire(file)
    except InputError as exc:
        for e in exc.all:
            sys.stderr.write(e.one_line() + "\n")
        raise typer.Exit(2)
    _out(f"{file}: valid ({len(q.items)} items, {len(q.definition.constructs)} constructs, "
         f"{len(q.structural_paths)} paths)")


@qapp.command("show")
def q_show(file: Path, lang: Optional[str] = typer.Option(None, help="Language, e.g. zh-CN")
           ) -> None:
    """Print a readable outline of the questionnaire."""
    from ..questionnaire import load_questionnaire
    from ..questionnaire.show import outline

    q = load_questionnaire(file)
    if lang and lang not in q.languages:
        raise InputError(f"language {lang!r} is not in the questionnaire",
                         path=str(file), hint=f"it has {', '.join(q.languages)}")
    _out(outline(q, lang))


@qapp.command("syntax")
def q_syntax(file: Path) -> None:
    """Print the model in lavaan syntax."""
    from ..questionnaire import load_questionnaire

    _out(load_questionnaire(file).to_lavaan())


@qapp.command("print")
def q_print(
    file: Path,
    output: Path = typer.Option(..., "-o", "--output", help="The PDF (or .html) to write."),
    lang: Optional[str] = typer.Option(None, help="Language, e.g. zh-CN (default: the "
                                       "questionnaire's first)."),
    second: Optional[str] = typer.Option(None, help="A second language printed beside the "
                                         "first, for a translation check."),
) -> None:
    """Print the questionnaire as a respondent or interviewer sees it (PDF)."""
    from ..fielding import print_questionnaire
    from ..questionnaire import load_questionnaire

    _check_output(output, file)
    out = print_questionnaire(load_questionnaire(file), output, lang, second=second)
    _out(f"wrote {out}")


@qapp.command("codebook")
def q_codebook(
    file: Path,
    output: Path = typer.Option(..., "-o", "--output", help="codebook.xlsx, .csv or .pdf"),
    lang: Optional[str] = typer.Option(None, help="Language of the labels and headings."),
) -> None:
    """Write the codebook: one row per variable, codes and labels, roles, routing. FILE
    is a questionnaire, or an SPSS file (.sav: its variable and value labels, missing
    codes and measures)."""
    from ..fielding.codebook import write_codebook
    from ..questionnaire import load_questionnaire

    _check_output(output, file)
    if file.suffix.lower() in (".sav", ".zsav"):
        from .._io import write_frame
        from ..fielding.spss import sav_codebook

        if output.suffix.lower() not in (".xlsx", ".csv"):
            raise InputError("the codebook of an SPSS file is written as .xlsx or .csv",
                             path=str(output))
        write_frame(sav_codebook(file), output)
        _out(f"wrote {output}")
        return
    q = load_questionnaire(file)
    if lang and lang not in q.languages:
        raise InputError(f"language {lang!r} is not a language of the questionnaire",
                         path=str(file), hint=f"it has {', '.join(q.languages)}")
    _out(f"wrote {write_codebook(q, output, lang=lang)}")


@qapp.command("export")
def q_export(
    file: Path,
    output: Path = typer.Option(..., "-o", "--output",
                                help="survey.qsf (Qualtrics) or survey.txt (LimeSurvey)"),
) -> None:
    """Write the questionnaire for a survey platform: Qualtrics .qsf or LimeSurvey
    tab-separated .txt, question ids equal to the item ids."""
    from ..fielding.limesurvey import write_limesurvey
    from ..fielding.qualtrics import write_qsf
    from ..questionnaire import load_questionnaire

    _check_output(output, file)
    writers = {".qsf": write_qsf, ".txt": write_limesurvey, ".tsv": write_limesurvey}
    writer = writers.get(output.suffix.lower())
    if writer is None:
        raise InputError(f"cannot export to {output.suffix or 'a file without an ending'!r}",
                         path=str(output), hint="use .qsf (Qualtrics) or .txt (LimeSurvey)")
    _out(f"wrote {writer(load_questionnaire(file), output)}")


@qapp.command("import")
def q_import(
    file: Path,
    output: Path = typer.Option(..., "-o", "--output", help="The questionnaire YAML to write."),
) -> None:
    """Turn a Qualtrics .qsf into questionnaire YAML (constructs and paths left to you)."""
    from .._io import write_text
    from ..fielding.qualtrics import from_qsf
    from ..questionnaire import parse_questionnaire

    _check_output(output, file)
    from .._yaml import max_yaml_bytes

    text = from_qsf(file)
    size, limit = len(text.encode("utf-8")), max_yaml_bytes()
    if size > limit:  # it could not be loaded once written: say so before validating
        raise InputError(f"the imported questionnaire would be {size:,} bytes, more than "
                         f"the limit of {limit:,} for questionnaire files", path=str(file),
                         hint="set CRMSURVEY_MAX_YAML_BYTES to allow larger files")
    parse_questionnaire(text, source=str(output))  # valid before it is written
    write_text(output, text)
    _out(f"wrote {output}; add constructs: and paths: before fitting a model")


@rapp.command("check")
@reads_responses
def r_check(
    questionnaire: Path,
    data: Path,
    reading: Reading,
    as_json: bool = typer.Option(False, "--json", help="Print the cleaning log as JSON."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when any answer was off "
                                "the scale or unreadable (and so set missing)."),
) -> None:
    """Load responses, check them against the questionnaire and print the cleaning log."""
    from ..questionnaire import load_questionnaire
    from ..responses import load_responses

    q = load_questionnaire(questionnaire)
    r = load_responses(q, data, **reading.kwargs)
    set_missing = r.log.set_missing()
    if as_json:
        _out(json.dumps({**r.log.to_dict(), "set_missing": set_missing}, ensure_ascii=False,
                        indent=2))
    else:
        _out(_log_text(r.log, set_missing))
    line = exclusion_line(r.log.rows_read, r.log.rows_kept, r.log.excluded,
                          "the cleaning log" + (" above" if not as_json else ""))
    if line:
        _say(line)
    if strict and set_missing:
        sys.stderr.write(f"strict: {sum(set_missing.values())} answer(s) off the scale or "
                         f"unreadable in {len(set_missing)} column(s)\n")
        raise typer.Exit(3)


def _log_text(log, set_missing: dict[str, int]) -> str:
    lines = [f"{log.source} ({log.format}{', ' + log.encoding if log.encoding else ''})",
             f"rows read {log.rows_read} · kept {log.rows_kept} · excluded "
             f"{log.rows_read - log.rows_kept}"]
    for rule, n in log.flagged.items():
        mark = "excluded" if rule in log.rules_on else "flagged only"
        lines.append(f"  {rule:<16} {n:>6}  {mark}")
    lines.append(f"problems: {len(log.problems)}")
    for p in log.problems[:20]:
        value = "" if p.value is None else f"{p.value!r} "
        lines.append(f"  row {p.row}, column {p.column}: {value}{p.message}")
    if len(log.problems) > 20:
        lines.append(f"  … {len(log.problems) - 20} more (use --json)")
    if set_missing:
        lines.append("answers set missing (off the scale or unreadable): " +
                     ", ".join(f"{k} {v}" for k, v in set_missing.items()))
    lines += [f"note: {n}" for n in log.notes]
    return "\n".join(lines)


@app.command("simulate")
def simulate_cmd(
    questionnaire: Path,
    n: int = typer.Option(500, "--n", min=1, help="Respondents (per group level)."),
    seed: int = typer.Option(0, help="Random seed: same seed, same file."),
    groups: List[str] = typer.Option([], "--groups", help="item=A,B,C (repeatable)."),
    path: List[str] = typer.Option([], "--path", help="'SAT ~ QUAL=0.5' overrides a "
                                   "population path coefficient (repeatable)."),
    loading: Optional[float] = typer.Option(None, help="Population loading of every item "
                                            "(default 0.8)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write (.csv, .xlsx, "
                                ".parquet, .sav, .dta)."),
    messy: bool = typer.Option(True, "--messy/--clean", help="Add realistic mess: blanks, "
                               "don't-know codes, speeders, failed attention checks, "
                               "straight-liners and a few duplicate submissions (extra rows)."),
) -> None:
    """Draw respondents from the questionnaire's structural model."""
    from .._io import write_frame
    from ..questionnaire import load_questionnaire
    from ..simulation import SimulationSettings, simulate

    _check_output(output, questionnaire)
    q = load_questionnaire(questionnaire)
    g = {k: [x.strip() for x in v.split(",") if x.strip()]
         for k, v in _pairs(groups, "--groups").items()}
    for item in g:
        if item not in q.items or q.items[item].role != "group":
            raise InputError(f"--groups names {item!r}, which is not a group item",
                             hint=f"group items: {', '.join(q.items_with_role('group'))}")
    overrides = {}
    for k, v in _pairs(path, "--path").items():
        try:
            overrides[k] = float(v)
        except ValueError:
            raise InputError(f"--path {k}={v}: the coefficient is not a number") from None
        if tuple(s.strip() for s in k.split("~")) not in q.structural_paths:
            raise InputError(f"--path names {k!r}, which is not a path of the model")
    if loading is not None and not 0 < loading < 1:
        raise InputError(f"--loading must be between 0 and 1, not {loading}")
    settings = SimulationSettings(paths=overrides, messy=messy,
                                  **({"loading": loading} if loading else {}))
    df = simulate(q, n, seed=seed, groups=g, settings=settings)
    if output.suffix.lower() == ".sav":  # the questionnaire's labels and codes go along
        from ..fielding.spss import for_sav

        df, meta = for_sav(q, df)
        write_frame(df, output, sav=meta)
    else:
        write_frame(df, output)
    distinct = n * max(1, len(next(iter(g.values()), [])))
    _out(f"wrote {len(df)} rows to {output}: {distinct} respondents"
         + (f" + {len(df) - distinct} duplicate submission(s)" if messy else ""))
    if messy:
        _out(_mess(q, df) + " (--clean for none)")


def _mess(q, df) -> str:
    """What the realistic mess amounts to, as the screening sees it."""
    from ..responses import load_responses

    r = load_responses(q, df)
    codes = r.codes.stack().value_counts()
    blanks = int(codes.get("blank", 0))
    special = int(sum(v for k, v in codes.items() if k not in ("blank", "answer",
                                                              "not_asked", "unparseable")))
    flagged = ", ".join(f"{k} {v}" for k, v in r.log.flagged.items() if v)
    return f"added: {blanks} blank answers, {special} special codes; flagged: {flagged}"
