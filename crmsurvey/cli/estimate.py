"""The estimators' commands: ``pls``, ``cbsem`` and ``invariance``, each option a flag
built from the options tables (:mod:`crmsurvey.options`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError
from ..options import CBSEM as _CB, INVARIANCE as _INV, PLS as _PLS
from . import app
from ._common import _out, _say, _stages, option_flag as _flag
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
        if predict or cvpat or copula or set(reading.given) - {"exclude"} or (
                weight is not None and weight.strip().lower() != "none"):
            raise InputError("--scheduler takes the questionnaire's codes and weight item "
                             "and no --predict, --cvpat, --copula (they need every "
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
    with warnings.catch_warnings(record=True), _stages() as say:  # notes show in summary
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            say("bootstrap", done[0], bootstrap)

        if scheduler:
            from ..pls.partitioned import pls_partitioned

            res, log = pls_partitioned(q, data, engine=scheduler, exclude=reading.kwargs["exclude"],
                                       weights=weight is None, model=None if spec is q
                                       else spec, progress=advance, **opts.kwargs())
            said = _screening_line(log) + " (per partition)"
        else:
            res = pls(spec, responses, weights=weights, **opts.kwargs(), progress=advance)
        pred = res.predict(predict, reps, seed=seed, technique=technique) if predict else None
        cv = cop = None
        if cvpat:
            from ..pls.cvpat import cvpat as run_cvpat

            cv = run_cvpat(res, benchmark="both", folds=predict or 10, repeats=reps,
                           seed=seed, technique=technique)
        if copula:
            from ..pls.endogeneity import copula_test

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
@reads_responses
def cbsem_cmd(
    model: Path = typer.Argument(..., help="A questionnaire (YAML, or a bundled name) or a "
                                 "lavaan model file."),
    data: Path = typer.Argument(..., help="The data (CSV, XLSX, SAV, DTA, Parquet)."),
    reading: Reading = None,  # the reading flags (reads_responses)
    syntax: Optional[Path] = typer.Option(
        None, "--model", help="With a questionnaire: a lavaan model file fitted to its "
        "checked and screened responses instead of the questionnaire's model."),
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
    spec, frame, weights, said = _model_and_data(model, data, reading, weight, syntax)
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
    model: Path = typer.Argument(..., help="A questionnaire (YAML, or a bundled name) or a "
                                 "lavaan model file."),
    data: Path = typer.Argument(..., help="The data (CSV, XLSX, SAV, DTA, Parquet)."),
    reading: Reading = None,  # the reading flags (reads_responses)
    syntax: Optional[Path] = typer.Option(
        None, "--model", help="With a questionnaire: a lavaan model file fitted to its "
        "checked and screened responses instead of the questionnaire's model."),
    group: str = typer.Option(..., help="Column whose levels are compared."),
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

    spec, frame, weights, said = _model_and_data(model, data, reading, weight, syntax)
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
