"""Text and HTML summaries of a PLS result (formatting lives here only)."""
from __future__ import annotations

import html

import pandas as pd

from .._format import format_table as _fmt

__all__ = ["Summary"]


class Summary:
    """``print(res.summary())``; ``as_text()``, ``as_html()``."""

    def __init__(self, result) -> None:
        self.result = result

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
                ("CSI indices (0–100)", r.index)]

    def notes(self) -> list[str]:
        s = self.result.settings
        head = (f"PLS-PM, {s.scheme} scheme, n = {s.n}, {s.iterations} iterations"
                f"{'' if s.converged else ' (NOT converged)'}; missing: {s.missing}"
                f" ({s.n_imputed} cells imputed, {s.n_dropped} rows dropped)"
                f"{'; weighted' if s.weighted else ''}{'; consistent PLS' if s.consistent else ''}")
        if s.bootstrap:
            head += (f"; bootstrap {s.bootstrap} resamples (seed {s.seed}, {s.ci_method} "
                     f"{s.ci:.0%} intervals, sign change: {s.sign_change}), {s.n_failed} failed")
        notes = [head]
        if self.result.model_fit is None:
            notes.append("model fit (SRMR, d_ULS, d_G) is not reported for models with "
                         "interaction terms or higher-order constructs")
        elif s.fit_test:
            notes.append(f"exact fit test: {s.fit_test} resamples of the data transformed to "
                         "fit the model (Bollen–Stine); a distance above its HI95 rejects "
                         "exact fit at 5 %")
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
