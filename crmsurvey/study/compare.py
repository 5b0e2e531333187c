"""Group comparisons a study needs beyond differences of figures: PLS-MGA path tests,
MICOM (whose verdict travels with every comparison it governs) and CB-SEM measurement
invariance."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._format import json_safe
from ..errors import CrmWarning, InputError
from .load import Study
from .results import Diagnostic, Group, Multiplicity, Note, Skip, group_key

__all__ = ["check_waves", "mga", "MGAOutcome"]


def check_waves(study: Study, data: pd.DataFrame) -> dict[str, Note]:
    """Waves whose rows lack a construct entirely cannot join the trend: level → reason."""
    d, q = study.definition, study.questionnaire
    out = {}
    for level, rows in data.groupby(data[d.waves].astype(str)):
        lacking = [c for c, v in q.definition.constructs.items()
                   if rows[[i for i in v.items if i in rows]].isna().all().all()]
        if lacking:
            out[level] = Note(code="wave_lacks_constructs", params={"constructs": lacking})
    return out


class MGAOutcome:
    """Path tests and MICOM for the levels of one item within a scope; ``status`` maps
    (group key a, group key b, construct) → MICOM verdict (full, partial, none)."""

    def __init__(self, paths: list[dict], micom: list[dict], status: dict, invariance,
                 diagnostics: list[Diagnostic]):
        self.paths, self.micom, self.status = paths, micom, status
        self.invariance, self.diagnostics = invariance, diagnostics


def mga(study: Study, data: pd.DataFrame, rows: np.ndarray, item: str, scope: Group, spec,
        weights, bounds, policy: Multiplicity, skipped: list[Skip],
        keep: list[tuple[Group, Group]] | None = None) -> MGAOutcome | None:
    """Compare the levels of ``item`` among ``rows``: permutation (Chin & Dibbern) and
    Henseler tests of path differences, Bonferroni-adjusted over the pairs of each path
    (the study's policy), MICOM steps 2–3 and, with ``cbsem:``, configural and metric
    invariance. ``keep``: the pairs whose path differences are tested (the client's
    family of a many-level item; Bonferroni over them); MICOM keeps every pair."""
    from ..cbsem.syntax import cbsem_syntax
    from ..cbsem.invariance import measurement_invariance
    from ..pls.mga import compare_groups

    d = study.definition
    o = d.compare
    frame = data[rows]
    w = None if weights is None else weights[rows]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CrmWarning)
            cmp = compare_groups(spec, frame, item, permutations=o.permutations,
                                 bootstrap=o.bootstrap, seed=o.seed, scale=bounds, weights=w,
                                 min_size=d.min_group_size)
    except (InputError, np.linalg.LinAlgError, ArithmeticError, ValueError) as exc:
        msg = exc.msg if isinstance(exc, InputError) else \
            f"a group's model could not be estimated ({type(exc).__name__}: {exc})"
        skipped.append(Skip(group=scope, n=int(frame[item].notna().sum()),
                            reason=Note(code="no_comparison", params={"item": item,
                                                                      "detail": msg})))
        return None
    m = len(cmp.micom.drop_duplicates(["group_a", "group_b"]))
    tested = cmp.permutation
    if keep is not None:
        wanted = {frozenset((a[item], b[item])) for a, b in keep}
        tested = tested[[frozenset(p) in wanted for p in zip(tested.group_a, tested.group_b)]]
        m = len(keep)
    hens = cmp.henseler.set_index(["group_a", "group_b", "lhs", "rhs"])
    micom, status = [], {}
    for r in cmp.micom.to_dict("records"):
        a, b = {item: r.pop("group_a"), **scope}, {item: r.pop("group_b"), **scope}
        micom.append({"group_a": a, "group_b": b, **r})
        status[group_key(a), group_key(b), r["construct"]] = r["invariance"]
    paths = []
    # p-values never finer than the resamples resolve: a permutation p is at least
    # 1/(P + 1) already; Henseler's bootstrap p is held at 1/B
    p_perm_floor, p_hens_floor = 1 / (o.permutations + 1), 1 / o.bootstrap
    for r in tested.itertuples():
        h = hens.loc[(r.group_a, r.group_b, r.lhs, r.rhs)]
        a, b = {item: r.group_a, **scope}, {item: r.group_b, **scope}
        # a path's difference is interpreted only where MICOM establishes compositional
        # invariance of both its constructs for the pair (Henseler et al. 2016); a
        # construct of one question has no MICOM row and needs none
        warranted = all(status.get((group_key(a), group_key(b), c)) != "none"
                        for c in (r.lhs, r.rhs))
        p_adj = min(1.0, m * r.pvalue)
        p_hens = max(float(h.pvalue), p_hens_floor)
        paths.append({"group_a": a, "group_b": b,
                      "lhs": r.lhs, "op": "~", "rhs": r.rhs, "est_a": r.est_a, "est_b": r.est_b,
                      "difference": r.est_a - r.est_b, "pvalue": r.pvalue, "pvalue_adj": p_adj,
                      "p_resolution": p_perm_floor, "p_henseler": p_hens,
                      "p_henseler_adj": min(1.0, m * p_hens),
                      "p_henseler_resolution": p_hens_floor,
                      "m": m, "significant": bool(p_adj < policy.alpha),
                      "warranted": warranted})
    invariance, diagnostics = None, Diagnostic.of(cmp.diagnostics, scope)
    if o.invariance and d.cbsem is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # ML tests the whole model; the robust tests the measurement model alone
                # (crmsurvey.cbsem.invariance_robust fits no paths), single-item
                # constructs included (the item measures its factor without error)
                robust = o.invariance_estimator != "ML"
                syntax = cbsem_syntax(spec, paths=not robust)
                inv = measurement_invariance(syntax, frame, item, min_size=d.min_group_size,
                                             estimator=o.invariance_estimator)
            invariance = {"table": inv.table.to_dict("records"), "notes": [n.to_dict() for n in inv.notes],
                          "groups": inv.groups,
                          "latent_means": inv.latent_means.to_dict("records"),
                          "intercepts": inv.intercepts.to_dict("records"),
                          "reference": next(iter(inv.groups)),
                          "structural": inv.structural}
            diagnostics += Diagnostic.of(inv.diagnostics, scope)
        except InputError as exc:
            invariance = {"error": exc.msg}
        except (np.linalg.LinAlgError, ArithmeticError) as exc:  # said, not a crash
            invariance = {"error": f"the invariance models could not be estimated "
                                   f"({type(exc).__name__}: {exc})"}
    return MGAOutcome(json_safe(paths), json_safe(micom), status, json_safe(invariance),
                      diagnostics)
