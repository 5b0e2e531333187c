"""Design-based standard errors of weighted means, shares and NPS (Taylor linearisation).

A survey *design* names the strata and the clusters (primary sampling units, PSUs: the
stores of a store intercept, the regions of a regional panel) a sample was drawn in. A
weighted mean ``ȳ = Σ wᵢyᵢ / Σ wᵢ`` over a domain D (a group) is linearised as

    zᵢ = wᵢ · 1[i ∈ D] · (yᵢ − ȳ) / Σ_D w

and its variance is that of the estimated total of ``z`` under a with-replacement
first-stage design (the "ultimate cluster" estimator of R's ``survey`` package):

    V = Σ_h (1 − f_h) · n_h / (n_h − 1) · Σ_c (z_hc − z̄_h)²

with ``z_hc`` the total of ``z`` over cluster c of stratum h, ``z̄_h`` their mean over the
stratum's ``n_h`` sampled clusters and ``f_h`` the sampling fraction of clusters (0
without a finite-population correction). A group is a *domain* of the whole design: its
strata keep all their clusters, those without the group's respondents contributing
totals of 0 — as R's ``svyby`` does. A share is the mean of a 0/1 variable; the NPS is
the mean of +1 (promoter), 0, −1 (detractor), so its linearised value is the promoters'
minus the detractors'.

Clusters are nested in strata: cluster "7" of stratum "north" and cluster "7" of
stratum "south" are two clusters (R's ``nest = TRUE``). A stratum with a single cluster
cannot estimate its own variance: it contributes none, as R's
``options(survey.lonely.psu = "certainty")``, and :meth:`Design.diagnostics` says so.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"region": [1, 1, 1, 1, 2, 2, 2, 2],
...                    "store": [1, 1, 2, 2, 3, 3, 4, 4],
...                    "sat": [7, 9, 6, 8, 5, 9, 10, 8]})
>>> d = survey_design(df, strata="region", cluster="store")
>>> d.n_clusters, d.n_strata
(4, 2)
>>> m = design_means(df[["sat"]].to_numpy(float), None, d)
>>> # R: svymean(~sat, svydesign(ids = ~store, strata = ~region, data = df)): 7.75, SE 0.559
>>> float(m.mean[0, 0]), round(float(m.se[0, 0]), 4)
(7.75, 0.559)
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

from ..diagnostics import Diagnostic
from ..errors import InputError
from ..notes import short_list

__all__ = ["Design", "DesignMeans", "survey_design", "design_means", "nps_values",
           "share_values", "bootstrap_scheme"]


@dataclass(frozen=True, eq=False)
class Design:
    """A stratified cluster design over the rows of a data frame.

    ``psu`` and ``stratum`` code each row's cluster (0 … P−1, nested in strata) and
    stratum (0 … H−1); ``psu_stratum`` (P,) is each cluster's stratum, ``n_psu`` (H,)
    the sampled clusters per stratum and ``fraction`` (H,) their sampling fraction (0:
    no finite-population correction). :meth:`rows` keeps the whole design's clusters,
    so a group is estimated as a domain.
    """

    psu: np.ndarray
    stratum: np.ndarray
    psu_stratum: np.ndarray
    n_psu: np.ndarray
    fraction: np.ndarray
    columns: dict[str, str | None]  # strata, cluster, fpc as the user named them
    stratum_names: tuple[str, ...] = ()

    @property
    def n_clusters(self) -> int:
        return len(self.psu_stratum)

    @property
    def n_strata(self) -> int:
        return len(self.n_psu)

    @property
    def df(self) -> int:
        """Design degrees of freedom: clusters minus strata."""
        return self.n_clusters - self.n_strata

    @property
    def lonely(self) -> tuple[str, ...]:
        """Strata with a single sampled cluster (they add no variance)."""
        return tuple(self.stratum_names[h] for h in np.flatnonzero(self.n_psu == 1))

    def rows(self, mask: np.ndarray) -> "Design":
        """The design's view of the rows in ``mask`` (a group): every cluster of the
        whole design still counts, those without rows here with a total of 0."""
        return replace(self, psu=self.psu[mask], stratum=self.stratum[mask])

    def variance(self, z: np.ndarray) -> np.ndarray:
        """Variance (m,) of the estimated totals of the columns of ``z`` (n, m)."""
        z = np.asarray(z, dtype=float).reshape(len(self.psu), -1)
        ind = sparse.csr_matrix((np.ones(len(self.psu)), (self.psu, np.arange(len(self.psu)))),
                                shape=(self.n_clusters, len(self.psu)))
        totals = np.asarray(ind @ z)  # (P, m)
        per_stratum = np.zeros((self.n_strata, totals.shape[1]))
        np.add.at(per_stratum, self.psu_stratum, totals)
        dev = totals - (per_stratum / self.n_psu[:, None])[self.psu_stratum]
        n_h = self.n_psu.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(n_h > 1, (1 - self.fraction) * n_h / (n_h - 1), 0.0)
        return scale[self.psu_stratum] @ dev**2

    def diagnostics(self) -> list[Diagnostic]:
        """A ``lonely_psu`` diagnostic when a stratum has a single cluster."""
        if not len(self.lonely):
            return []
        if self.columns["strata"] is None:
            return [Diagnostic("lonely_psu", "the sample has a single cluster: its variance "
                               "cannot be estimated, so design-based standard errors are 0",
                               concerns=("1",), params={"n": 1, "strata": []})]
        names = ", ".join(map(str, self.lonely[:5])) + (", …" if len(self.lonely) > 5 else "")
        return [Diagnostic(
            "lonely_psu", f"{len(self.lonely)} stratum/strata of {self.columns['strata']!r} "
            f"have a single cluster ({names}): their variance cannot be estimated and is left "
            "out, so design-based standard errors may be too small; merge such strata with "
            "a similar one", concerns=tuple(map(str, self.lonely)),
            params={"n": len(self.lonely), "strata": short_list(self.lonely, 5)})]


def _column(data: pd.DataFrame, col: str, role: str) -> pd.Series:
    if col not in data.columns:
        close = difflib.get_close_matches(col, list(map(str, data.columns)), n=1)
        raise InputError(f"design {role} column {col!r} is not in the data",
                         hint=f"did you mean {close[0]!r}?" if close else
                         "name a column of the data")
    s = data[col]
    blank = s.isna() | s.astype("string").str.strip().eq("").fillna(True)
    if blank.any():
        row = data.index[int(np.argmax(blank.to_numpy()))]
        raise InputError(f"design {role} column {col!r}, row {row}: no value",
                         hint=f"every respondent needs a {role}; exclude such rows")
    return s.astype("string")


def survey_design(data: pd.DataFrame, *, strata: str | None = None,
                  cluster: str | None = None, fpc: str | None = None) -> Design:
    """The design of ``data``: strata and clusters from its columns (either may be left
    out: no strata is one stratum, no cluster makes each respondent its own cluster).

    ``fpc`` (optional) is a column giving, per stratum, either the number of clusters in
    the population (≥ the clusters sampled) or the sampling fraction of clusters (0–1],
    as R's ``svydesign(fpc = )``. Bad columns are an :class:`InputError` naming them.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"region": [1, 1, 1, 1, 2, 2], "store": [1, 1, 2, 3, 4, 4]})
    >>> d = survey_design(df, strata="region", cluster="store")
    >>> d.n_clusters, d.n_strata, d.df, d.lonely      # region 2: one store
    (4, 2, 2, ('2',))
    """
    if strata is None and cluster is None:
        raise InputError("a design needs strata, a cluster column or both",
                         hint="design: {strata: COLUMN, cluster: COLUMN}")
    n = len(data)
    s = _column(data, strata, "strata") if strata else pd.Series(["all"] * n, dtype="string")
    c = _column(data, cluster, "cluster") if cluster else pd.Series(
        np.arange(n).astype(str), dtype="string")
    s_codes, s_names = pd.factorize(s.to_numpy(), sort=True)
    pairs = pd.MultiIndex.from_arrays([s_codes, c.to_numpy()])
    psu, uniq = pd.factorize(pairs, sort=True)
    psu_stratum = np.asarray(uniq.get_level_values(0), dtype=int)
    n_psu = np.bincount(psu_stratum, minlength=len(s_names))
    fraction = np.zeros(len(s_names))
    if fpc is not None:
        fraction = _fraction(data, fpc, s_codes, n_psu)
    return Design(psu=psu.astype(int), stratum=s_codes.astype(int), psu_stratum=psu_stratum,
                  n_psu=n_psu, fraction=fraction,
                  columns={"strata": strata, "cluster": cluster, "fpc": fpc},
                  stratum_names=tuple(map(str, s_names)))


def _fraction(data, fpc: str, s_codes: np.ndarray, n_psu: np.ndarray) -> np.ndarray:
    raw = _column(data, fpc, "fpc")
    v = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        row = data.index[int(np.argmax(bad))]
        raise InputError(f"design fpc column {fpc!r}, row {row}: {raw.iloc[int(np.argmax(bad))]!r}"
                         " is not a positive number",
                         hint="population clusters per stratum, or a sampling fraction 0–1")
    lo = np.full(len(n_psu), np.inf)
    hi = np.full(len(n_psu), -np.inf)
    np.minimum.at(lo, s_codes, v)
    np.maximum.at(hi, s_codes, v)
    if (lo != hi).any():
        raise InputError(f"design fpc column {fpc!r} differs within a stratum",
                         hint="one value per stratum: its population clusters or fraction")
    if (lo <= 1).all():  # fractions, as R's svydesign reads values ≤ 1
        return lo
    if (lo < n_psu).any():
        h = int(np.argmax(lo < n_psu))
        raise InputError(f"design fpc column {fpc!r}: {lo[h]:g} population clusters in a "
                         f"stratum where {n_psu[h]} were sampled",
                         hint="give the number of clusters in the population (≥ sampled)")
    return n_psu / lo


@dataclass(frozen=True, eq=False)
class DesignMeans:
    """Weighted means per domain and column, (G, p) each: ``mean``, ``se`` (design-based),
    ``n`` (answers), ``n_eff`` (the effective sample size under the design: the weighted
    variance of the column over the squared standard error) and ``deff`` (``n / n_eff``)."""

    mean: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray

    @property
    def deff(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.n / self.n_eff


def design_means(y: np.ndarray, weights: np.ndarray | None, design: Design,
                 domains: np.ndarray | None = None) -> DesignMeans:
    """Weighted means of the columns of ``y`` (n, p; NaN: not answered) in each domain
    (``domains`` (n, G) boolean; default: the whole sample) with Taylor-linearised
    design-based standard errors — one sparse product for all domains and columns.

    Examples
    --------
    Three stores of two respondents: the SE is the SD of the store means over √3.

    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"store": [1, 1, 2, 2, 3, 3], "sat": [7, 9, 6, 6, 9, 10]})
    >>> m = design_means(df[["sat"]].to_numpy(), None, survey_design(df, cluster="store"))
    >>> round(float(m.mean[0, 0]), 4), round(float(m.se[0, 0]), 4)
    (7.8333, 1.0138)
    >>> round(float(np.std([8, 6, 9.5], ddof=1) / np.sqrt(3)), 4)
    1.0138
    """
    y = np.asarray(y, dtype=float)
    y = y.reshape(len(y), -1)
    n, p = y.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    dom = np.ones((n, 1), bool) if domains is None else np.asarray(domains, bool).reshape(n, -1)
    g = dom.shape[1]
    a = dom[:, :, None] & np.isfinite(y)[:, None, :] & (w > 0)[:, None, None]  # (n, G, p)
    aw = a * w[:, None, None]
    y0 = np.where(np.isfinite(y), y, 0.0)[:, None, :]
    total = aw.sum(axis=0)  # (G, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (aw * y0).sum(axis=0) / total
        z = aw * (y0 - mean) / total
        var_pop = (aw * (y0 - mean) ** 2).sum(axis=0) / total
    z = np.nan_to_num(z)
    var = design.variance(z.reshape(n, g * p)).reshape(g, p)
    se = np.sqrt(var)
    se[total == 0] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(var > 0, var_pop / var, np.nan)
    return DesignMeans(mean, se, a.sum(axis=0), n_eff)


def nps_values(x: np.ndarray) -> np.ndarray:
    """+1 for a promoter (9–10), 0 passive (7–8), −1 detractor (0–6); NaN stays NaN."""
    x = np.asarray(x, dtype=float)
    return np.where(np.isnan(x), np.nan, (x >= 9).astype(float) - (x <= 6))


def share_values(x: np.ndarray, top: float) -> np.ndarray:
    """1 for an answer at or above ``top`` (a top-box share), else 0; NaN stays NaN."""
    x = np.asarray(x, dtype=float)
    return np.where(np.isnan(x), np.nan, (x >= top).astype(float))


def bootstrap_scheme(design, data: pd.DataFrame, kept: pd.Index, seed: int):
    """The resampling scheme an estimator's bootstrap uses for a ``design`` given with
    ``data``, seen on the ``kept`` rows (the estimator's own, by label): the stratified
    cluster bootstrap (:class:`crmsurvey.resampling.Cluster`) of a :class:`Design` or of
    ``{strata: COL, cluster: COL, fpc: COL}`` naming columns of ``data``; a scheme over
    the rows of ``data`` (e.g. :class:`crmsurvey.weighting.replicates.Rerake`) as it is.
    ``None`` gives None (the estimator's own resampling)."""
    from collections.abc import Mapping

    from ..resampling import Cluster

    if design is None:
        return None
    if isinstance(design, Mapping):
        unknown = set(design) - {"strata", "cluster", "fpc"}
        if unknown:
            raise InputError(f"unknown design key {sorted(unknown)[0]!r}",
                             hint="design: {strata: COLUMN, cluster: COLUMN, fpc: COLUMN}")
        design = survey_design(data, **design)
    if isinstance(design, Design):
        design = Cluster(design, seed)
    if not hasattr(design, "counts") or not hasattr(design, "rows"):
        raise InputError(f"design must be a Design, {{strata: COLUMN, cluster: COLUMN}} or "
                         f"a resampling scheme, not {type(design).__name__}")
    if design.n != len(data):
        raise InputError(f"the design has {design.n} rows, the data {len(data)}")
    if not data.index.is_unique:
        raise InputError("a design needs data with unique row labels",
                         hint="reset the index: data.reset_index(drop=True)")
    return design.rows(data.index.isin(kept))
