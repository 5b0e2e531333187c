"""The estimators' commands: ``pls``, ``cbsem`` and ``invariance``, each option a flag
built from the options tables (:mod:`crmsurvey.options`)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError
from ..options import CBSEM as _CB, INVARIANCE as _INV, PLS as _PLS
from . import app
from ._common import (_out, _say, _stages, check_group, group_flag, group_levels,
                      option_flag as _flag)
from .reading import (Reading, _model_and_data, _model_columns, _screened, _screening_line,
                      _weight_flag, reads_responses)


@app.command("pls")
@reads_responses
def pls_cmd(
    questionnaire: Path,
    data: Path,
    reading: Reading,
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
    group: Optional[str] = group_flag("Fit the model to the respondents of each level of "
                                      "this group item separately, one after another "
                                      "(no test of the differences: a study's compare:)."),
    weight: Optional[str] = _weight_flag(),
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

    from ..pls import pls
    from ..questionnaire import load_questionnaire
    from .._format import json_safe

    q = load_questionnaire(questionnaire)
    if scheduler:
        if predict or cvpat or copula or group or set(reading.given) - {"exclude"} or (
                weight is not None and weight.strip().lower() != "none"):
            raise InputError("--scheduler takes the questionnaire's codes and weight item "
                             "and no --predict, --cvpat, --copula, --group (they need every "
                             "respondent's scores), reading flag other than --exclude "
                             "(--map, --encoding, --sheet, --codes, the screening "
                             "thresholds) or --weight COL")
        if not data.exists():  # before waiting on the scheduler
            raise InputError("no such file or folder", path=str(data))
        responses, weights, said = None, None, ""
    else:
        responses, weights, said = _screened(q, data, reading, weight)
    spec = q
    if model is not None:
        from .._yaml import read_text
        from ..model import parse_model

        text = read_text(model)
        spec = parse_model(text, source=str(model))
        if responses is not None:
            _model_columns(model, text, responses.data.columns, data, lavaan_only=False)
    levels = [(None, "")]  # (value, label) of each model: one, or one per group level
    if group:
        check_group(q, group, responses.data.columns, data)
        levels = group_levels(q, responses.data[group])
    fits = []  # (label, n, result, its extras) of each model
    with warnings.catch_warnings(record=True), _stages() as say:  # notes show in summary
        for value, label in levels:
            stage, done = "bootstrap" + (f" ({group} = {label})" if group else ""), [0]

            def advance(n: int, stage: str = stage, done: list = done) -> None:
                done[0] += n
                say(stage, done[0], bootstrap)

            if scheduler:
                from ..pls.partitioned import pls_partitioned

                res, log = pls_partitioned(q, data, engine=scheduler,
                                           exclude=reading.kwargs["exclude"],
                                           weights=weight is None, model=None if spec is q
                                           else spec, progress=advance, **opts.kwargs())
                said = _screening_line(log) + " (per partition)"
            else:
                rows = responses if value is None else replace(  # the level's respondents
                    responses, data=responses.data[responses.data[group] == value])
                res = pls(spec, rows, weights=weights, **opts.kwargs(), progress=advance)
            fits.append((label, res.settings.n, res, _pls_extras(
                res, predict, reps, seed, technique, cvpat, copula)))
    _say(said)
    blank = int(responses.data[group].isna().sum()) if group else 0
    if blank:
        _say(f"--group {group}: {blank:,} row(s) without a level are in no model")
    if as_json:
        out = [{**res.to_dict(), **{k: v.to_dict() if k == "predict" else
                                    v.to_dict("records") for k, v in extras.items()}}
               for _, _, res, extras in fits]
        _out(json.dumps(json_safe(out[0] if not group else {
            "group": group, "models": [{"level": label, "n": n, **o} for (label, n, _, _), o
                                       in zip(fits, out)]}), ensure_ascii=False, indent=2))
        return
    for i, (label, n, res, extras) in enumerate(fits):
        if group:
            _out(("\n" if i else "") + f"== {group} = {label} (n = {n:,}) ==")
        cv, cop = extras.get("cvpat"), extras.get("endogeneity")
        _out(res.summary(cvpat=False if cv is None else cv,
                         copula=False if cop is None else cop).as_text())
        if "predict" in extras:
            _out(extras["predict"].summary())


def _pls_extras(res, predict: int, reps: int, seed: int, technique: str, cvpat: bool,
                copula: bool) -> dict:
    """What ``pls`` computes beyond the fit, by its JSON key: PLSpredict, CVPAT, the
    copula test (each when asked)."""
    out = {}
    if predict:
        out["predict"] = res.predict(predict, reps, seed=seed, technique=technique)
    if cvpat:
        from ..pls.cvpat import cvpat as run_cvpat

        out["cvpat"] = run_cvpat(res, benchmark="both", folds=predict or 10, repeats=reps,
                                 seed=seed, technique=technique)
    if copula:
        from ..pls.endogeneity import copula_test

        out["endogeneity"] = copula_test(res)
    return out


# the arguments cbsem and invariance share: a questionnaire or model file, the data, and
# a model file fitted to a questionnaire's responses
_MODEL = typer.Argument(..., help="A questionnaire (YAML, or a bundled name) or a lavaan "
                        "model file.")
_DATA = typer.Argument(..., help="The data (CSV, XLSX, SAV, DTA, Parquet).")
_SYNTAX = typer.Option(None, "--model", help="With a questionnaire: a lavaan model file "
                       "fitted to its checked and screened responses instead of the "
                       "questionnaire's model.")


@app.command("cbsem")
@reads_responses
def cbsem_cmd(
    model: Path = _MODEL,
    data: Path = _DATA,
    reading: Reading = None,  # the reading flags (reads_responses)
    syntax: Optional[Path] = _SYNTAX,
    estimator: str = _flag(_CB, "estimator"),
    ordered: Optional[str] = _flag(_CB, "ordered", more=" Comma-separated, or 'all'."),
    missing: str = _flag(_CB, "missing"),
    bootstrap: int = _flag(_CB, "bootstrap"),
    seed: int = _flag(_CB, "seed"),
    ci: float = _flag(_CB, "ci"),
    std_lv: bool = _flag(_CB, "std_lv"),
    orthogonal: bool = _flag(_CB, "orthogonal"),
    group: Optional[str] = group_flag("Fit the model to each level of this group item "
                                      "at once (lavaan's multi-group fit: one table per "
                                      "level and the combined fit)."),
    group_equal: Optional[str] = typer.Option(
        None, "--group-equal", help="With --group and ordered items (WLSMV): parameters "
        "equal across the groups, as lavaan's group.equal (comma-separated: loadings, "
        "thresholds, intercepts)."),
    reliability: List[str] = typer.Option([], "--reliability", help="ITEM=VALUE: reliability "
                                          "of a single-indicator factor's item (repeatable)."),
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

    from .._format import json_safe
    from ..cbsem import cbsem

    rel = {}
    for r in reliability:
        item, _, value = r.partition("=")
        try:
            rel[item.strip()] = float(value)
        except ValueError:
            raise InputError(f"--reliability {r!r}: write ITEM=VALUE, as comp1=0.8") from None
    spec, frame, weights, said = _model_and_data(model, data, reading, weight, syntax, group)
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
@reads_responses
def invariance_cmd(
    model: Path = _MODEL,
    data: Path = _DATA,
    reading: Reading = None,  # the reading flags (reads_responses)
    syntax: Optional[Path] = _SYNTAX,
    group: str = group_flag("The group item whose levels are compared.", required=True),
    estimator: str = _flag(_INV, "estimator"),
    min_size: int = _flag(_INV, "min_size"),
    weight: Optional[str] = _weight_flag(),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Configural, metric and scalar invariance across the levels of --group: each step's
    χ²-difference test and ΔCFI, and the scalar model's latent means."""
    import warnings

    opts = _INV.validated(estimator=estimator, min_size=min_size)

    from .._format import json_safe
    from ..cbsem.invariance import measurement_invariance

    spec, frame, weights, said = _model_and_data(model, data, reading, weight, syntax, group)
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
