"""Measurement invariance with robust ML (MLM, MLR) on complete rows, as lavaan's
``cfa(..., group =, group.equal =, estimator = "MLM" | "MLR")`` and ``lavTestLRT``.

The three models are lavaan's parameter table over the groups with ``==`` rows added as
``group.equal`` adds them: configural (nothing tied), metric (``"loadings"``), scalar
(``c("loadings", "intercepts")``: the indicators' intercepts tied too and the latent means
free from the second group on). Each is fitted over the stacked groups
(:func:`crmsurvey.cbsem.joint.joint_fit`) with its robust standard errors and scaled test;
each model is compared with the one before by the scaled χ² difference (Satorra & Bentler
2001, :func:`crmsurvey.cbsem.fitmeasures.scaled_difference`) and by the change in the
robust CFI.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .build import Built, build
from .fitmeasures import scaled_difference
from .partable import constraints
from .tables import inference

__all__ = ["group_equal_table", "robust_invariance"]

_TIED = {"loadings": "=~", "intercepts": "~1"}


def group_equal_table(built: Built, equal: tuple[str, ...]) -> Built:
    """``built`` (several groups) with lavaan's ``group.equal``: each free loading
    (``"loadings"``) or observed intercept (``"intercepts"``) of the later groups held
    equal to the first group's by an ``==`` row; with intercepts tied the later groups'
    latent means are free."""
    pt = built.pt.copy()
    latent = set(built.latent)
    first = pt[pt.group == 1]
    extra = []
    for what in equal:
        op = _TIED[what]
        rows = first[(first.op == op) & (first.free > 0) & ~first.lhs.isin(latent)] \
            if op == "~1" else first[(first.op == op) & (first.free > 0)]
        for r in rows.itertuples():
            later = pt[(pt.group > 1) & (pt.op == op) & (pt.lhs == r.lhs) & (pt.rhs == r.rhs)
                       & (pt.free > 0)]
            extra += [dict(lhs=r.plabel, op="==", rhs=p, user=2, block=0, group=0, free=0,
                           ustart=np.nan, exo=0, label="", plabel="") for p in later.plabel]
    if "intercepts" in equal:
        means = (pt.group > 1) & (pt.op == "~1") & pt.lhs.isin(latent)
        pt.loc[means, "free"] = 1
        pt.loc[means, "ustart"] = np.nan
    pt = pd.concat([pt, pd.DataFrame(extra, columns=pt.columns)], ignore_index=True)
    pt["id"] = np.arange(1, len(pt) + 1)
    free = pt.free > 0
    pt.loc[free, "free"] = np.arange(1, int(free.sum()) + 1)
    pt["free"] = pt.free.astype(int)
    return Built(pt, built.observed, built.latent, built.meanstructure, constraints(pt),
                 built.ngroups, built.ov_x, True)


def robust_invariance(syntax: str, data: pd.DataFrame, group: str, levels: list,
                      estimator: str):
    """Configural, metric and scalar models with ``estimator`` (``"MLM"`` or ``"MLR"``):
    the table (lavaan's fit and scaled measures, the scaled differences), the scalar
    model's latent means (the first group the reference) and the fits. A factor of a
    single item is measured by it without error, as in lavaan."""
    from .joint import joint_fit
    from .syntax import fix_single_indicators

    # a factor of one item: its loading 1 and its residual variance 0, as lavaan's
    # (a no-op where measurement_invariance has fixed them already)
    syntax, _ = fix_single_indicators(syntax, data, {})
    built = build(syntax, ngroups=len(levels), group=True)
    if (built.pt.op == "~").any():
        raise InputError(f"robust measurement invariance ({estimator}) takes a measurement "
                         "model here (no regressions)", path="model",
                         hint="estimator='ML' tests invariance of structural models")
    sub = data[data[group].astype(str).isin([str(v) for v in levels])]
    kw = dict(estimator=estimator, missing="listwise", bootstrap=0, seed=None, ci=0.95,
              weights=None, chunk=500)
    models = {"configural": (), "metric": ("loadings",),
              "scalar": ("loadings", "intercepts")}
    fits = {}
    for name, equal in models.items():
        b = group_equal_table(built, equal) if equal else built
        fits[name] = joint_fit(syntax, b, sub, group, levels, **kw)
    rows, before = [], None
    for name, res in fits.items():
        f = res.fit
        row = {"model": name, **{k: float(f[k]) for k in (
            "npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "chisq_scaled",
            "chisq_scaling_factor", "pvalue_scaled", "cfi_robust", "tli_robust",
            "rmsea_robust")}}
        if before is None:
            row.update(delta_chisq=np.nan, delta_df=np.nan, delta_pvalue=np.nan,
                       delta_cfi=np.nan, decision="baseline")
        else:
            d = scaled_difference(f, before.fit)
            delta_cfi = float(f["cfi_robust"] - before.fit["cfi_robust"])
            row.update(delta_chisq=d["chisq_diff"], delta_df=d["df_diff"],
                       delta_pvalue=d["pvalue"], delta_cfi=delta_cfi,
                       decision="supported" if delta_cfi >= -0.01 else "not supported")
        rows.append(row)
        before = res
    est = fits["scalar"].estimates
    lv = est[(est.op == "~1") & est.lhs.isin(built.latent)
             & (est.group != str(levels[0]))]
    means = pd.DataFrame({"group": lv.group.to_list(), "construct": lv.lhs.to_list(),
                          "est": lv.est.to_numpy(), "se": lv.se.to_numpy()})
    means["z"], means["pvalue"], _, _ = inference(means.est, means.se, 0.95)
    return pd.DataFrame(rows), means, fits
