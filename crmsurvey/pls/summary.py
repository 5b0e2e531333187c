"""Text and HTML summaries of a PLS result (formatting lives here only)."""
from __future__ import annotations

import html

import pandas as pd

from .._format import format_table as _fmt
from .verify import CODES, CONSTRUCT_CORR_LIMIT, INNER_VIF_LIMIT

__all__ = ["Summary"]


class Summary:
    """``print(res.summary())``; ``as_text()``, ``as_html()``."""

    def __init__(self, result, *, cvpat=None, copula=None) -> None:
        self.result = result
        self.cvpat, self.copula = cvpat, copula  # tables of pls.cvpat / pls.endogeneity

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        return [(title, df) for title, df in self._all() if df is not None and len(df)]

    def _all(self) -> list[tuple[str, pd.DataFrame]]:
        r = self.result
        return [("Path coefficients", r.paths), ("R²", r.r2), ("Outer loadings", r.loadings),
                ("Outer weights", r.weights), ("Reliability and validity", r.quality),
                ("HTMT", r.htmt), ("Total effects", r.total_effects),
                ("Indirect effects (specific and total)", r.indirect),
                ("Simple slopes (moderator at −1, 0, +1 SD)", r.slopes),
                ("Model fit (saturated and estimated model)", r.model_fit),
                ("Information criteria per outcome (lower is better)", r.model_selection),
                ("First-stage measurement model", r.first_stage),
                ("CSI indices (0–100)", r.index),
                ("CVPAT (diff = PLS loss − benchmark loss; < 0: PLS predicts better)",
                 self.cvpat),
                ("Endogeneity: Gaussian copula test", self.copula)]

    def notes(self) -> list[str]:
        s = self.result.settings
        head = (f"PLS-PM, {s.scheme} scheme, n = {s.n}, {s.iterations} iterations"
                f"{'' if s.converged else ' (NOT converged)'}; missing: {s.missing}"
                f" ({s.n_imputed} cells imputed, {s.n_dropped} rows dropped)"
                f"{'; weighted' if s.weighted else ''}{'; consistent PLS' if s.consistent else ''}")
        if s.bootstrap:
            head += (f"; bootstrap {s.bootstrap} {getattr(s, 'resampling', 'multinomial')} "
                     f"resamples (seed {s.seed}, {s.ci_method} "
                     f"{s.ci:.0%} intervals, sign change: {s.sign_change}), {s.n_failed} failed")
        notes = [head]
        if s.bootstrap and getattr(s, "resampling", "") == "poisson":
            notes.append("Poisson bootstrap: each respondent's count in a resample is an "
                         "independent Poisson(1) draw (resample sizes vary around n), so the "
                         "resamples do not depend on how the rows are split or partitioned")
        if self.result.model_fit is None:
            notes.append("model fit (SRMR, d_ULS, d_G) is not reported for models with "
                         "interaction terms or higher-order constructs")
        elif s.fit_test:
            notes.append(f"exact fit test: {s.fit_test} resamples of the data transformed to "
                         "fit the model (Bollen–Stine); a distance above its HI95 rejects "
                         "exact fit at 5 %")
        if not {d.code for d in self.result.diagnostics} & set(CODES):
            notes.append(
                f"solution admissible (converged, loadings within ±1, construct correlations "
                f"positive definite{', reliabilities ρA ≤ 1' if s.consistent else ''}) and no "
                f"collinearity flag (paths within ±1, construct correlations ≤ "
                f"{CONSTRUCT_CORR_LIMIT:g}, inner VIF ≤ {INNER_VIF_LIMIT:g})")
        if self.cvpat is not None:
            notes.append("CVPAT (Liengaard et al. 2021): loss = squared held-out error per "
                         "respondent, averaged over the outcomes' items and the repetitions; "
                         "t-test of the mean loss difference (df = n − 1)")
        if self.copula is not None:
            notes.append("Gaussian copula test (Park & Gupta 2012; Hult et al. 2018): "
                         "copula_est ≠ 0 says the regressor is endogenous; rows marked "
                         "'normal' or 'discrete' have no copula term (not identified)")
            notes += [d.message for d in self.copula.attrs.get("diagnostics", ())]
        return notes + [d.message for d in self.result.diagnostics]

    def as_text(self) -> str:
        parts = []
        for title, df in self.sections():
            parts.append(f"{title}\n{_fmt(df).to_string(index=title == 'HTMT')}")
        parts.append("Notes:\n" + "\n".join(f"[{i}] {n}" for i, n in enumerate(self.notes(), 1)))
        return "\n\n".join(parts) + "\n"

    def as_html(self) -> str:
        parts = [f"<h4>{html.escape(t)}</h4>" + _fmt(df).to_html(index=t == "HTMT", escape=True)
                 for t, df in self.sections()]
        parts.append("<p>" + "<br>".join(f"[{i}] {html.escape(n)}"
                                         for i, n in enumerate(self.notes(), 1)) + "</p>")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    __repr__ = __str__
