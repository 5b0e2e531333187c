"""Text and HTML summaries of a CB-SEM result."""
from __future__ import annotations

import html

import pandas as pd

from .._format import format_table as _fmt

__all__ = ["Summary"]


class Summary:
    def __init__(self, result) -> None:
        self.result = result

    def _fit_table(self) -> pd.DataFrame:
        f = self.result.fit
        return pd.DataFrame({"measure": f.index, "value": f.to_numpy(dtype=float)})

    def notes(self) -> list[str]:
        s = self.result.settings
        dropped = (f", {s.n_dropped} rows left out ("
                   f"{'missing values, listwise' if s.missing == 'listwise' else 'no answers'}"
                   ")" if s.n_dropped else ", no rows left out")
        engine = f", semopy {s.semopy_version}" if s.semopy_version else ""
        head = (f"CB-SEM ({s.estimator}{engine}), n = {s.n} used"
                f"{f' (effective {s.n_effective:.1f})' if s.weighted else ''}{dropped}, "
                f"missing: {s.missing}, standard errors: {s.se}")
        if s.bootstrap:
            head += (f"; bootstrap {s.bootstrap} resamples (seed {s.seed}), {s.n_failed} failed,"
                     f" {s.n_inadmissible} inadmissible")
        status = "admissible" if self.result.admissible else "NOT admissible"
        return [head, f"solution: {status}"] + list(self.result.problems) + \
            [str(n) for n in self.result.notes]

    def as_text(self) -> str:
        r = self.result
        parts = [f"Fit (lavaan definitions)\n{_fmt(self._fit_table()).to_string(index=False)}",
                 f"Estimates\n{_fmt(_shown(r.estimates)).to_string(index=False)}",
                 f"R²\n{_fmt(r.r2).to_string(index=False)}",
                 "Notes:\n" + "\n".join(f"[{i}] {n}" for i, n in enumerate(self.notes(), 1))]
        return "\n\n".join(parts) + "\n"

    def as_html(self) -> str:
        r = self.result
        parts = [f"<h4>Fit</h4>{_fmt(self._fit_table()).to_html(index=False)}",
                 f"<h4>Estimates</h4>{_fmt(_shown(r.estimates)).to_html(index=False)}",
                 f"<h4>R²</h4>{_fmt(r.r2).to_html(index=False)}",
                 "<p>" + "<br>".join(f"[{i}] {html.escape(n)}"
                                     for i, n in enumerate(self.notes(), 1)) + "</p>"]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    __repr__ = __str__


def _shown(est: pd.DataFrame) -> pd.DataFrame:
    """The estimates as shown: the user's labels only (lavaan's internal ``.p1.`` names
    blank), without the ``free`` flag."""
    out = est.drop(columns="free")
    if "label" in out:
        out["label"] = [v if isinstance(v, str) and not v.startswith(".") else ""
                        for v in out.label]
    return out
