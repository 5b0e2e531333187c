"""The ``crmsurvey`` command line. Exit codes: 0 success, 2 bad input, 1 internal failure."""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Literal, Optional

import typer

from . import _defaults as D
from .errors import InputError, surface
from .options import CBSEMOptions as _CB, InvarianceOptions as _INV, PLSOptions as _PLS

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Customer-satisfaction and loyalty research: questionnaires, "
                       "responses, PLS-PM and CB-SEM, CSI indices, reports.")
qapp = typer.Typer(no_args_is_help=True, help="Validate, show, print and compile "
                   "questionnaires; codebooks; survey-platform export and import.")
rapp = typer.Typer(no_args_is_help=True, help="Check collected responses.")
app.add_typer(qapp, name="questionnaire")
app.add_typer(rapp, name="responses")


def _version(value: bool) -> None:
    if value:
        from . import __version__

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


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@qapp.command("validate")
def q_validate(file: Path) -> None:
    """Check a questionnaire; print every problem, one line each."""
    from .questionnaire import load_questionnaire

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
    from .questionnaire import load_questionnaire
    from .questionnaire.show import outline

    q = load_questionnaire(file)
    if lang and lang not in q.languages:
        raise InputError(f"language {lang!r} is not in the questionnaire",
                         path=str(file), hint=f"it has {', '.join(q.languages)}")
    _out(outline(q, lang))


@qapp.command("syntax")
def q_syntax(file: Path) -> None:
    """Print the model in lavaan syntax."""
    from .questionnaire import load_questionnaire

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
    from .fielding import print_questionnaire
    from .questionnaire import load_questionnaire

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
    from .fielding.codebook import write_codebook
    from .questionnaire import load_questionnaire

    _check_output(output, file)
    if file.suffix.lower() in (".sav", ".zsav"):
        from ._io import write_frame
        from .fielding.spss import sav_codebook

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
    from .fielding.limesurvey import write_limesurvey
    from .fielding.qualtrics import write_qsf
    from .questionnaire import load_questionnaire

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
    from ._io import write_text
    from .fielding.qualtrics import from_qsf
    from .questionnaire import parse_questionnaire

    _check_output(output, file)
    from ._yaml import max_yaml_bytes

    text = from_qsf(file)
    size, limit = len(text.encode("utf-8")), max_yaml_bytes()
    if size > limit:  # it could not be loaded once written: say so before validating
        raise InputError(f"the imported questionnaire would be {size:,} bytes, more than "
                         f"the limit of {limit:,} for questionnaire files", path=str(file),
                         hint="set CRMSURVEY_MAX_YAML_BYTES to allow larger files")
    parse_questionnaire(text, source=str(output))  # valid before it is written
    write_text(output, text)
    _out(f"wrote {output}; add constructs: and paths: before fitting a model")


def _check_output(output: Path, *inputs: Path) -> None:
    """A single-file output may be neither a folder nor one of the command's inputs."""
    from ._io import check_output

    check_output(output, *inputs)


def _pairs(values: List[str], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise InputError(f"{what} {v!r} is not of the form name=value")
        k, val = v.split("=", 1)
        out[k.strip()] = val.strip()
    return out


@rapp.command("check")
def r_check(
    questionnaire: Path,
    data: Path,
    as_json: bool = typer.Option(False, "--json", help="Print the cleaning log as JSON."),
    map_: List[str] = typer.Option([], "--map", help="column=item, repeatable."),
    exclude: List[str] = typer.Option([], "--exclude", help="Screening rule that excludes "
                                      "rows (repeatable, or 'all')."),
    encoding: Optional[str] = typer.Option(None, help="Text encoding of a CSV file "
                                           "(default: UTF-8, UTF-16 with a BOM, GB18030)."),
    sheet: Optional[str] = typer.Option(None, help="XLSX sheet name."),
    codes: Optional[Literal["values", "option_numbers"]] = typer.Option(
        None, "--codes", help="How answers are coded (问卷星 按选项序号: option_numbers, "
        "1 = the first option)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when any answer was off "
                                "the scale or unreadable (and so set missing)."),
) -> None:
    """Load responses, check them against the questionnaire and print the cleaning log."""
    from .questionnaire import load_questionnaire
    from .responses import load_responses

    q = load_questionnaire(questionnaire)
    rules = [r for e in exclude for r in e.split(",") if r]
    r = load_responses(q, data, mapping=_pairs(map_, "--map"), exclude=rules,
                       encoding=encoding, sheet=sheet, codes=codes)
    set_missing = r.log.set_missing()
    if as_json:
        _out(json.dumps({**r.log.to_dict(), "set_missing": set_missing}, ensure_ascii=False,
                        indent=2))
    else:
        _out(_log_text(r.log, set_missing))
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
    from ._io import write_frame
    from .questionnaire import load_questionnaire
    from .simulation import SimulationSettings, simulate

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
        from .fielding.spss import for_sav

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
    from .responses import load_responses

    r = load_responses(q, df)
    codes = r.codes.stack().value_counts()
    blanks = int(codes.get("blank", 0))
    special = int(sum(v for k, v in codes.items() if k not in ("blank", "answer",
                                                              "not_asked", "unparseable")))
    flagged = ", ".join(f"{k} {v}" for k, v in r.log.flagged.items() if v)
    return f"added: {blanks} blank answers, {special} special codes; flagged: {flagged}"


def _exclude_flag():
    return typer.Option(None, "--exclude", metavar="RULE,...|none",
                        help="Screening rules that exclude rows, "
                        "comma-separated or repeated (duplicate, screened_out, attention, "
                        "speeder, straightlining, missing, invalid_weight, or all); 'none' "
                        "keeps every row. Default: as a study, "
                        + ",".join(D.SCREEN_EXCLUDE) + ".")


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


def _screened(q, data: Path, exclude: list[str] | None, weight: str | None = None,
              weighted: bool = True, **load):
    """Responses screened as a study screens them, the weights an estimator takes (see
    :func:`_weights`) and one line saying what was excluded and how the rows are weighted
    (``weighted=False``: a command without weights), for :func:`_say` once the command's
    work is done (an error stays the only line)."""
    from .responses import load_responses

    r = load_responses(q, data, exclude=_rules(exclude), **load)
    weights = _weights(r, weight) if weighted else None
    note = f"; {_weight_note(r, weights)}" if weighted else ""
    return r, weights, _screening_line(r.log) + note


def _say(line: str) -> None:
    """A note to the user on stderr (stdout keeps the result alone)."""
    sys.stderr.write(line + "\n")


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


def _flag(record, name: str, *decls: str, more: str = ""):
    """The flag of option ``name`` of an options record (:mod:`crmsurvey.options`): its
    default, its description as help, its allowed values shown and completed by the shell.
    The record validates the value, with the message Python gives."""
    choices = record.choices(name)
    extra = {}
    if choices:
        extra["metavar"] = "[" + "|".join(choices) + "]"
        extra["autocompletion"] = lambda incomplete: [c for c in choices
                                                      if c.startswith(incomplete)]
    return typer.Option(record.default(name), *decls, help=record.help(name) + more, **extra)


@app.command("pls")
def pls_cmd(
    questionnaire: Path,
    data: Path,
    model: Optional[Path] = typer.Option(None, help="lavaan syntax file (default: the "
                                         "questionnaire's model)."),
    scheme: str = _flag(_PLS, "scheme"),
    bootstrap: int = _flag(_PLS, "bootstrap"),
    resampling: str = _flag(_PLS, "resampling"),
    seed: int = _flag(_PLS, "seed"),
    ci: float = _flag(_PLS, "ci"),
    ci_method: str = _flag(_PLS, "ci_method"),
    sign_change: str = _flag(_PLS, "sign_change"),
    missing: str = _flag(_PLS, "missing"),
    consistent: bool = _flag(_PLS, "consistent"),
    fit_test: int = _flag(_PLS, "fit_test"),
    interaction: str = _flag(_PLS, "interaction"),
    higher_order: str = _flag(_PLS, "higher_order"),
    tol: float = _flag(_PLS, "tol"),
    max_iter: int = _flag(_PLS, "max_iter"),
    predict: int = typer.Option(0, min=0, help="PLSpredict with this many folds (0: none)."),
    reps: int = typer.Option(10, min=1, help="PLSpredict repetitions."),
    technique: str = typer.Option("DA", help="PLSpredict approach: DA (direct antecedents) "
                                  "or EA (earliest antecedents)."),
    cvpat: bool = typer.Option(False, "--cvpat", help="CVPAT against the IA and LM "
                               "benchmarks, on PLSpredict's folds (--predict, default 10; "
                               "--reps)."),
    copula: bool = typer.Option(False, "--copula", help="Gaussian copula test of "
                                "endogeneity, from the bootstrap resamples (--bootstrap)."),
    exclude: Optional[List[str]] = _exclude_flag(),
    weight: Optional[str] = _weight_flag(),
    encoding: Optional[str] = typer.Option(None, help="Text encoding of a CSV file."),
    codes: Optional[str] = typer.Option(None, "--codes", help="values or option_numbers."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Dask scheduler (tcp://host:8786): DATA (a Parquet or CSV "
        "file, or a folder of them) is read, checked and screened per partition on the "
        "workers and the moments reduced there; no row comes back (no --predict)."),
) -> None:
    """Fit the questionnaire's PLS path model to collected responses."""
    import warnings

    opts = _PLS.validated(  # every option of pls(), checked before any file is read
        scheme=scheme, bootstrap=bootstrap, resampling=resampling, seed=seed, ci=ci,
        ci_method=ci_method, sign_change=sign_change, missing=missing, consistent=consistent,
        fit_test=fit_test, interaction=interaction, higher_order=higher_order, tol=tol,
        max_iter=max_iter)

    from .pls import pls
    from .questionnaire import load_questionnaire
    from ._format import json_safe

    q = load_questionnaire(questionnaire)
    if scheduler:
        if predict or cvpat or copula or encoding or codes or (
                weight is not None and weight.strip().lower() != "none"):
            raise InputError("--scheduler takes the questionnaire's codes and weight item "
                             "and no --predict, --cvpat, --copula (they need every "
                             "respondent's scores), --encoding, --codes or --weight COL")
        if not data.exists():  # before waiting on the scheduler
            raise InputError("no such file or folder", path=str(data))
        responses, weights, said = None, None, ""
    else:
        responses, weights, said = _screened(q, data, exclude, weight, encoding=encoding,
                                             codes=codes)
    spec = q
    if model is not None:
        from ._yaml import read_text
        from .model import parse_model

        text = read_text(model)
        spec = parse_model(text, source=str(model))
        if responses is not None:
            _model_columns(model, text, responses.data.columns, data, lavaan_only=False)
    with warnings.catch_warnings(record=True), _stages() as say:  # notes show in summary
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            say("bootstrap", done[0], bootstrap)

        if scheduler:
            from .pls.partitioned import pls_partitioned

            res, log = pls_partitioned(q, data, engine=scheduler, exclude=_rules(exclude),
                                       weights=weight is None, model=None if spec is q
                                       else spec, progress=advance, **opts.kwargs())
            said = _screening_line(log) + " (per partition)"
        else:
            res = pls(spec, responses, weights=weights, **opts.kwargs(), progress=advance)
        pred = res.predict(predict, reps, seed=seed, technique=technique) if predict else None
        cv = cop = None
        if cvpat:
            from .pls.cvpat import cvpat as run_cvpat

            cv = run_cvpat(res, benchmark="both", folds=predict or 10, repeats=reps,
                           seed=seed, technique=technique)
        if copula:
            from .pls.endogeneity import copula_test

            cop = copula_test(res)
    _say(said)
    if as_json:
        out = res.to_dict()
        if pred is not None:
            out["predict"] = pred.to_dict()
        if cv is not None:
            out["cvpat"] = cv.to_dict("records")
        if cop is not None:
            out["endogeneity"] = cop.to_dict("records")
        _out(json.dumps(json_safe(out), ensure_ascii=False, indent=2))
    else:
        _out(res.summary(cvpat=False if cv is None else cv,
                         copula=False if cop is None else cop).as_text())
        if pred is not None:
            _out(pred.summary())


@app.command("cbsem")
def cbsem_cmd(
    model: Path = typer.Argument(..., help="A questionnaire (YAML, or a bundled name) or a "
                                 "lavaan model file."),
    data: Path = typer.Argument(..., help="The data (CSV, XLSX, SAV, DTA, Parquet)."),
    estimator: str = _flag(_CB, "estimator"),
    ordered: Optional[str] = _flag(_CB, "ordered", more=" Comma-separated, or 'all'."),
    missing: str = _flag(_CB, "missing"),
    bootstrap: int = _flag(_CB, "bootstrap"),
    seed: int = _flag(_CB, "seed"),
    ci: float = _flag(_CB, "ci"),
    std_lv: bool = _flag(_CB, "std_lv"),
    orthogonal: bool = _flag(_CB, "orthogonal"),
    group: Optional[str] = typer.Option(None, help="Column whose levels are fitted "
                                        "separately."),
    group_equal: Optional[str] = typer.Option(
        None, "--group-equal", help="With --group and ordered items (WLSMV): parameters "
        "equal across the groups, as lavaan's group.equal (comma-separated: loadings, "
        "thresholds, intercepts)."),
    reliability: List[str] = typer.Option([], "--reliability", help="ITEM=VALUE: reliability "
                                          "of a single-indicator factor's item (repeatable)."),
    exclude: Optional[List[str]] = _exclude_flag(),
    weight: Optional[str] = _weight_flag(),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Fit a covariance-based SEM (lavaan syntax or the questionnaire's model) and print the
    fit block, estimates, R² and notes (n used and dropped)."""
    import warnings

    opts = _CB.validated(  # every option of cbsem(), checked before any file is read
        estimator=estimator, missing=missing, bootstrap=bootstrap, seed=seed, ci=ci,
        std_lv=std_lv, orthogonal=orthogonal,
        ordered=None if not ordered else True if ordered == "all"
        else [o.strip() for o in ordered.split(",") if o.strip()])

    from ._format import json_safe
    from .cbsem import cbsem

    rel = {}
    for r in reliability:
        item, _, value = r.partition("=")
        try:
            rel[item.strip()] = float(value)
        except ValueError:
            raise InputError(f"--reliability {r!r}: write ITEM=VALUE, as comp1=0.8") from None
    spec, frame, weights, said = _model_and_data(model, data, exclude, weight)
    with warnings.catch_warnings(record=True), _stages() as say:  # notes: in the summary
        warnings.simplefilter("always")
        say("CB-SEM" + (f" with {bootstrap} bootstrap resamples" if bootstrap else ""), 0,
            None)  # no count to show: a pulsing bar
        res = cbsem(spec, frame, weights=weights, **opts.kwargs(), group=group,
                    group_equal=tuple(g.strip() for g in (group_equal or "").split(",")
                                      if g.strip()), reliability=rel)
    _say(said)
    if as_json:
        _out(json.dumps(json_safe(res.to_dict()), ensure_ascii=False, indent=2))
    else:
        _out(res.summary().as_text())


@app.command("invariance")
def invariance_cmd(
    model: Path = typer.Argument(..., help="A questionnaire (YAML, or a bundled name) or a "
                                 "lavaan model file."),
    data: Path = typer.Argument(..., help="The data (CSV, XLSX, SAV, DTA, Parquet)."),
    group: str = typer.Option(..., help="Column whose levels are compared."),
    estimator: str = _flag(_INV, "estimator"),
    min_size: int = _flag(_INV, "min_size"),
    exclude: Optional[List[str]] = _exclude_flag(),
    weight: Optional[str] = _weight_flag(),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Configural, metric and scalar invariance across the levels of --group: each step's
    χ²-difference test and ΔCFI, and the scalar model's latent means."""
    import warnings

    opts = _INV.validated(estimator=estimator, min_size=min_size)

    from ._format import json_safe
    from .cbsem.invariance import measurement_invariance

    spec, frame, weights, said = _model_and_data(model, data, exclude, weight)
    if weights is not None:  # the tests are unweighted: never weights dropped quietly
        raise InputError("measurement invariance is tested unweighted",
                         hint="give --weight none")
    with warnings.catch_warnings(record=True), _stages() as say:
        warnings.simplefilter("always")
        say(f"measurement invariance ({opts.estimator})", 0, None)
        inv = measurement_invariance(spec, frame, group, **opts.kwargs())
    _say(said)
    if as_json:
        _out(json.dumps(json_safe({"groups": inv.groups,
                                   "table": inv.table.to_dict("records"),
                                   "latent_means": inv.latent_means.to_dict("records"),
                                   "notes": [n.to_dict() for n in inv.notes]}),
                        ensure_ascii=False, indent=2))
    else:
        _out(inv.table.to_string(index=False))
        _out("\nlatent means (scalar model):\n" + inv.latent_means.to_string(index=False))


def _model_and_data(model: Path, data: Path, exclude: list[str] | None = None,
                    weight: str | None = None):
    """Model, data, weights and a note: a questionnaire (its model; responses checked and screened
    as a study screens them) or a lavaan file (data as read, no screening: there is no
    questionnaire to screen by; non-numbers are reported by column and row when the model
    is fitted), and a line saying which rows are used and how they are weighted."""
    from ._yaml import read_text

    if model.suffix.lower() in (".yaml", ".yml") or (not model.is_file() and not model.suffix):
        from .questionnaire import load_questionnaire

        q = load_questionnaire(model)
        return (q, *_screened(q, data, exclude, weight))
    from .responses.readers import read_table

    if exclude and _rules(exclude):
        raise InputError("--exclude needs a questionnaire: a lavaan model file brings no "
                         "screening rules", hint="fit the questionnaire's model (crmsurvey "
                         "cbsem QUESTIONNAIRE DATA), or give --exclude none")
    frame = read_table(data).frame
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

    from .cbsem.partable import parse_syntax

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


def _table_out(frame, as_json: bool, extra: dict | None = None) -> None:
    from ._format import format_table, json_safe

    if as_json:
        payload = {"rows": frame.to_dict("records"), **(extra or {})}
        _out(json.dumps(json_safe(payload), ensure_ascii=False, indent=2))
    else:
        _out(format_table(frame, 2).to_string(index=False))
        for k, v in (extra or {}).items():
            _out(f"{k}: {v}")


@app.command("nps")
def nps_cmd(
    questionnaire: Path, data: Path,
    by: Optional[str] = typer.Option(None, help="Group item to break the NPS down by."),
    exclude: Optional[List[str]] = _exclude_flag(),
    weight: Optional[str] = _weight_flag(),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """NPS with standard error and interval, overall and by group, and the pairwise tests."""
    from .analytics import nps_compare, nps_table
    from .questionnaire import load_questionnaire

    q = load_questionnaire(questionnaire)
    item = next(iter(q.items_with_role("nps")), None)
    if item is None:
        raise InputError("the questionnaire has no item with role 'nps'", path=str(questionnaire))
    if by is not None and (by not in q.items or q.items[by].role != "group"):
        raise InputError(f"--by {by!r} is not a group item of the questionnaire")
    r, w, said = _screened(q, data, exclude, weight)
    if w is None and r.weights is not None:
        w = r.weights.to_numpy()
    table = nps_table(r.data, item, by=by, weights=w if w is not False else None)
    _say(said)
    extra = {"comparisons": nps_compare(table).to_dict("records")} if by else None
    _table_out(table, as_json, extra if as_json else None)
    if by and not as_json:
        _out("\n" + nps_compare(table).round(4).to_string(index=False))


@app.command("weights")
def weights_cmd(
    questionnaire: Path, data: Path,
    targets: Path = typer.Option(..., "--targets", help="Population targets: a YAML file "
                                 "holding what a study's weighting: section holds (rake:, "
                                 "linear: or poststratify:, with by:, trim:, base:), or a "
                                 "CSV table with columns variable, category, target."),
    output: Path = typer.Option(..., "-o", "--output", help="The data with the weight "
                                "column added (.csv, .xlsx, .parquet, .sav, .dta)."),
    method: Optional[str] = typer.Option(None, "--method",
                                         metavar="[rake|linear|poststratify]",
                                         help="How a CSV table's targets are met (default "
                                         "rake: iterative proportional fitting)."),
    by: Optional[str] = typer.Option(None, "--by", help="Weight within each level of this "
                                     "item."),
    trim: Optional[str] = typer.Option(None, "--trim", metavar="LOW,HIGH",
                                       help="Bounds on the weights relative to their mean, "
                                       "e.g. 0.3,3; weights are fitted again after trimming."),
    base: Optional[str] = typer.Option(None, "--base", help="Design-weight column to start "
                                       "from (a weight item of the questionnaire)."),
    name: Optional[str] = typer.Option(None, "--name", help="The weight column written "
                                       "(default: the questionnaire's weight item, or "
                                       "'weight'); it replaces a column of that name."),
    exclude: Optional[List[str]] = _exclude_flag(),
    as_json: bool = typer.Option(False, "--json", help="The diagnostics as JSON."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when the weights do not "
                                "meet every target: no convergence, or a target category "
                                "without respondents (written all the same)."),
) -> None:
    """Weights from population targets (raking, linear calibration or post-stratification)
    for the screened rows: writes the data with the weight column (blank for excluded
    rows) and prints the targets against the achieved shares, the weight range, Kish's
    design effect and effective n, and every problem found."""
    import warnings

    import numpy as np

    from ._io import check_frame_path, write_frame
    from .errors import CrmWarning
    from .questionnaire import load_questionnaire
    from .responses.readers import read_table
    from .study.weighting import METHODS, read_section, weigh_section

    _check_output(output, questionnaire, data, targets)
    check_frame_path(output)
    if method is not None and method not in METHODS:
        raise InputError(f"--method {method!r}: one of {', '.join(METHODS)}")
    bounds = None
    if trim is not None:
        try:
            low, high = (float(x) for x in trim.split(","))
        except ValueError:
            raise InputError(f"--trim {trim!r} is not LOW,HIGH (e.g. 0.3,3)") from None
        bounds = (low, high)
    q = load_questionnaire(questionnaire)
    section = read_section(targets, q, method=method, by=by, trim=bounds, base=base)
    column = name or q.role_item("weight") or "weight"
    if section.base is not None and column == section.base:
        raise InputError(f"the weight column {column!r} holds the design weights (base)",
                         hint="give the computed weights another --name")
    r, _, said = _screened(q, data, exclude, weighted=False)
    folder = targets.resolve().parent
    with warnings.catch_warnings():  # the summary below prints every diagnostic
        warnings.simplefilter("ignore", CrmWarning)
        raking = weigh_section(section, r.data,  # labels: 1-based data rows
                               lambda rel: folder / rel, str(targets))
    raw = read_table(data).frame
    replaced = column in raw.columns
    weights = np.full(len(raw), np.nan)
    weights[r.data.index.to_numpy() - 1] = raking.weights  # index: 1-based file rows
    write_frame(raw.assign(**{column: weights}), output)
    _say(said)
    _say(f"wrote {len(raw):,} rows to {output} with the weight column {column!r}"
         + (" (replacing the file's own)" if replaced else "")
         + (f"; the {len(raw) - len(r.data):,} excluded rows have none"
            if len(raw) > len(r.data) else ""))
    if as_json:
        from ._format import json_safe

        _out(json.dumps(json_safe(raking.to_dict()), ensure_ascii=False, indent=2))
    else:
        _out(raking.summary())
    empty = [d for d in raking.diagnostics  # a target category without respondents
             if d.code == "weight_target_empty" and d.severity != "info"]
    if strict and (empty or not raking.converged):
        _say("strict: " + "; ".join(
            ([f"the weights miss a target by up to {raking.max_error:.2g} (a share)"]
             if not raking.converged else [])
            + [f"{len(empty)} target(s) without respondents"] * bool(empty)))
        raise typer.Exit(3)


@app.command("kano")
def kano_cmd(questionnaire: Path, data: Path, exclude: Optional[List[str]] = _exclude_flag(),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Kano categories per feature: shares, dominant category, better/worse."""
    from .analytics import kano_pairs, kano_table
    from .questionnaire import load_questionnaire

    q = load_questionnaire(questionnaire)
    pairs = kano_pairs(q)
    if not pairs:
        raise InputError("the questionnaire has no Kano items", path=str(questionnaire))
    r, _, said = _screened(q, data, exclude, weighted=False)
    table = kano_table(r.data, pairs)
    _say(said)
    _table_out(table, as_json)


_DATE_FORMAT = typer.Option(None, "--date-format", help="How dates are written, in "
                            "strftime codes (e.g. %d.%m.%Y); default: found from the column.")
_DAYFIRST = typer.Option(None, "--dayfirst/--monthfirst", help="Read 03/04/2025 as 3 April "
                         "(--dayfirst) or 4 March (--monthfirst); needed when the column "
                         "does not say.")


def _transactions(path, customer, date, amount, as_of, encoding, date_format=None,
                  dayfirst=None):
    from .analytics import load_transactions

    tx = load_transactions(path, customer=customer, date=date, amount=amount, as_of=as_of,
                           encoding=encoding, date_format=date_format, dayfirst=dayfirst)
    if tx.log.rows_kept < tx.log.rows_read:
        excluded = ", ".join(f"{k} {v}" for k, v in tx.log.excluded.items() if v)
        sys.stderr.write(f"note: {tx.log.rows_read - tx.log.rows_kept} of {tx.log.rows_read} "
                         f"transactions excluded ({excluded}); first: row "
                         f"{tx.log.problems[0].row}, column {tx.log.problems[0].column}: "
                         f"{tx.log.problems[0].message}\n")
    return tx


@app.command("rfm")
def rfm_cmd(
    transactions: Path,
    customer: str = typer.Option("customer_id"), date: str = typer.Option("date"),
    amount: str = typer.Option("amount"),
    as_of: Optional[str] = typer.Option(None, help="Analysis date (default: day after the "
                                        "last transaction)."),
    abc: Literal["customers", "value"] = typer.Option(
        "customers", help="ABC rule: customers (5/15/80 %) or value (80/15/5 %)."),
    encoding: Optional[str] = typer.Option(None),
    date_format: Optional[str] = _DATE_FORMAT,
    dayfirst: Optional[bool] = _DAYFIRST,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """RFM scores and segments, with ABC classes, per customer."""
    from .analytics import abc_classes, rfm

    tx = _transactions(transactions, customer, date, amount, as_of, encoding, date_format,
                       dayfirst)
    table = rfm(tx)
    table["abc"] = abc_classes(table.set_index("customer").monetary, rule=abc).to_numpy()
    summary = table.groupby("segment").size().sort_values(ascending=False).to_dict()
    _table_out(table, as_json, {"segments": summary, "log": tx.log.to_dict()} if as_json
               else {"segments": summary})


@app.command("clv")
def clv_cmd(
    transactions: Optional[Path] = typer.Argument(None),
    margin: Optional[float] = typer.Option(None, help="Margin per period (formula)."),
    retention: Optional[float] = typer.Option(None, help="Retention rate per period."),
    discount: float = typer.Option(0.1, help="Discount rate per period."),
    periods: Optional[int] = typer.Option(None, help="Horizon (default: infinite)."),
    cost: float = typer.Option(0.0, help="Retention cost per period."),
    model: Literal["formula", "bgnbd"] = typer.Option(
        "formula", help="The discounted-margin formula, or BG/NBD + Gamma-Gamma (needs "
        "TRANSACTIONS)."),
    horizon: float = typer.Option(12, help="bgnbd: periods ahead."),
    period_days: float = typer.Option(30.0, help="bgnbd: days per period."),
    customer: str = typer.Option("customer_id"), date: str = typer.Option("date"),
    amount: str = typer.Option("amount"), as_of: Optional[str] = typer.Option(None),
    date_format: Optional[str] = _DATE_FORMAT,
    dayfirst: Optional[bool] = _DAYFIRST,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Customer lifetime value: the discounted-margin formula, or BG/NBD + Gamma-Gamma."""
    import pandas as pd

    from .analytics import clv_bgnbd, clv_simple

    if model == "formula":
        if margin is None or retention is None:
            raise InputError("the formula needs --margin and --retention")
        value = clv_simple(margin, retention, discount, periods=periods, cost=cost)
        _table_out(pd.DataFrame([{"margin": margin, "retention": retention,
                                  "discount": discount, "periods": periods or "infinite",
                                  "cost": cost, "clv": value}]), as_json)
    elif model == "bgnbd":
        if transactions is None:
            raise InputError("--model bgnbd needs a TRANSACTIONS file")
        tx = _transactions(transactions, customer, date, amount, as_of, None, date_format,
                           dayfirst)
        with _stages() as say:
            say("BG/NBD + Gamma-Gamma", 0, None)  # no count to show: a pulsing bar
            table = clv_bgnbd(tx, horizon=horizon, period_days=period_days,
                              discount=discount, margin=margin or 1.0)
        _table_out(table, as_json)
    else:
        raise InputError(f"--model must be 'formula' or 'bgnbd', not {model!r}")


@app.command("schema")
def schema_cmd(
    what: str = typer.Argument(..., help="What to describe: study (the study file)."),
    markdown: bool = typer.Option(False, "--markdown", help="The Markdown reference "
                                  "(docs/study-file.md) instead of the JSON Schema."),
) -> None:
    """Print the study file's JSON Schema (for editors' YAML support) or its reference."""
    from .study.reference import json_schema, markdown as reference

    if what != "study":
        raise InputError(f"schema: unknown subject {what!r}; the one known is 'study'")
    _out(reference() if markdown else json.dumps(json_schema(), ensure_ascii=False, indent=2))


@app.command("run")
def run_cmd(
    study: Path,
    output: Path = typer.Option(..., "-o", "--output", help="Output folder."),
    lang: Optional[str] = typer.Option(None, help="Report language (default: the study's)."),
    workers: Optional[int] = typer.Option(None, help="Local worker processes for the "
                                          "group units."),
    scheduler: Optional[str] = typer.Option(
        None, envvar="CRMSURVEY_SCHEDULER", show_envvar=True,
        help="Dask scheduler, tcp://host:8786 (never taken from the study file)."),
    root: Optional[Path] = typer.Option(
        None, "--root", help="Folder every file the study reads must lie in (default: "
        "the study's folder)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when any model could not "
                                "be estimated or reported an error."),
) -> None:
    """Run a study: screen, fit, write results.json, tables and report.pdf."""
    from .engine import get_engine
    from .pipeline import run
    from .study import load_study

    loaded = load_study(study, root=root)  # before any engine is started
    engine = get_engine(scheduler or workers) if (scheduler or workers) else None
    try:
        with _stages() as say:
            run(loaded, output, lang=lang, progress=say, engine=engine)
    finally:
        if engine is not None:
            engine.close()
    _out(f"wrote {output}/report.pdf, results.json and tables")
    _problems(output, strict, lang)


def _problems(output: Path, strict: bool, lang: str | None = None) -> None:
    """Say which parts of the run failed (they are in the results and the report), in
    the report's language (its catalogue); with ``--strict`` any of them is exit 3."""
    from .errors import printable
    from .report.i18n import diagnostic_text
    from .study import load_results

    results = load_results(output / "results.json")
    lang = lang or results.study.language
    if results.sample.set_missing:
        _say(_set_missing_text(results.sample.set_missing))
    errors = [d for d in results.diagnostics if d.severity == "error"]
    for d in errors:  # group names come from the data: their controls are shown, not obeyed
        text = diagnostic_text(d, lang, {c: v if isinstance(v, str) else v.get(lang) or
                                         v.get("*") or next(iter(v.values()), c)
                                         for c, v in results.model.labels.items()})
        sys.stderr.write(f"problem: {printable(text)}\n")
    if strict and errors:
        raise typer.Exit(3)


@app.command("report")
def report_cmd(
    outdir: Path,
    lang: Optional[str] = typer.Option(None, help="Report language."),
    template: Optional[Path] = typer.Option(None, help="Template folder."),
) -> None:
    """Render the report again from OUTDIR/results.json (no refitting), with the
    workbook in the report's language (report.<lang>.pdf and tables.<lang>.xlsx for a
    language other than the run's)."""
    from .pipeline import rerender

    with _stages() as say:
        say("rendering", 0, None)
        pdf = rerender(outdir, lang=lang, template=template)
    _out(f"wrote {pdf}")


@app.command("demo")
def demo_cmd(
    lang: str = typer.Option("en", help="Report language: any with a catalogue in "
                             "crmsurvey/locales/ (en, zh-CN, …)."),
    output: Path = typer.Option(Path("crmsurvey-demo"), "-o", "--output",
                                help="Output folder."),
) -> None:
    """Simulate a three-brand CCSI study, fit it (PLS with bootstrap, CB-SEM) and render
    the PDF report."""
    from ._resources import bundled_dir
    from .pipeline import run

    with _stages() as say:
        run(bundled_dir("studies") / "demo_ccsi.yaml", output, lang=lang, progress=say)
    _out(f"wrote {output}/report.pdf ({lang}), results.json and tables")


#: ``--quiet`` (set by the root callback for one invocation; ``main`` resets it)
_QUIET = False


class _stages:
    """Rich progress bars on stderr for the stages of a run; silent when stderr is not
    a terminal or with ``--quiet``. ``say(stage, done, total)``; ``total=None`` is a
    step with no count (a pulsing bar until ``say(stage, 1, 1)``)."""

    def __enter__(self):
        self.bar = None
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

    from .errors import CrmWarning

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
    for sub in getattr(command, "commands", {}).values():
        _clean_help(sub)
    return command


def _one_line(text: str) -> str:
    """A message from elsewhere (click, an internal failure) as one terminal-safe line."""
    from .errors import printable

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


if __name__ == "__main__":
    run()
