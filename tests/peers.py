"""The ECSI mobile-phone case (REFERENCE.md) and a bridge to the seminr peer package."""
from __future__ import annotations

import numpy as np
import pandas as pd

ECSI = """
Image        =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation  =~ CUEX1 + CUEX2 + CUEX3
Quality      =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value        =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints   =~ CUSCO
Loyalty      =~ CUSL1 + CUSL2 + CUSL3
Expectation  ~ Image
Quality      ~ Expectation
Value        ~ Expectation + Quality
Satisfaction ~ Image + Expectation + Quality + Value
Complaints   ~ Satisfaction
Loyalty      ~ Image + Satisfaction + Complaints
"""

# Holzinger–Swineford three-factor CFA (lavaan's tutorial model)
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

# SmartPLS 2.0.M3, path weighting (REFERENCE.md): (predictor, outcome) -> coefficient
SMARTPLS_PATHS = {
    ("Image", "Expectation"): 0.50491393, ("Image", "Satisfaction"): 0.17873950,
    ("Image", "Loyalty"): 0.19575534, ("Expectation", "Quality"): 0.55674896,
    ("Expectation", "Value"): 0.04998839, ("Expectation", "Satisfaction"): 0.06252287,
    ("Quality", "Value"): 0.55830438, ("Quality", "Satisfaction"): 0.51202394,
    ("Value", "Satisfaction"): 0.19476510, ("Satisfaction", "Complaints"): 0.52806625,
    ("Satisfaction", "Loyalty"): 0.48547762, ("Complaints", "Loyalty"): 0.06692607,
}
SMARTPLS_R2 = {"Expectation": .2549, "Quality": .3100, "Value": .3453, "Satisfaction": .6811,
               "Complaints": .2789, "Loyalty": .4569}


def mobi() -> pd.DataFrame:
    from seminr.datasets import load_mobi

    d = load_mobi()
    return pd.DataFrame(np.asarray(d.values, dtype=float), columns=list(d.columns))


def seminr_model(syntax: str, data: pd.DataFrame, *, reflective: bool = False,
                 scheme: str = "path", mode_b: tuple[str, ...] = ()):
    """Fit the same model with seminr's estimate_pls."""
    import seminr as s

    from crmsurvey.model import parse_model

    spec = parse_model(syntax)
    blocks = []
    for c in spec.constructs:
        if reflective and c.mode == "A":
            blocks.append(s.reflective(c.name, list(c.items)))
        elif c.mode == "B" or c.name in mode_b:
            blocks.append(s.composite(c.name, list(c.items), weights=s.mode_B))
        else:
            blocks.append(s.composite(c.name, list(c.items)))
    paths = [s.paths(from_=rhs, to=[lhs]) for lhs, rhs in spec.paths]
    scheme_fn = {"path": s.path_weighting, "factorial": s.path_factorial}[scheme]
    return s.estimate_pls(data, s.constructs(*blocks), s.relationships(*paths),
                          inner_weights=scheme_fn)


def named(matrix) -> pd.DataFrame:
    """A seminr NamedMatrix as a DataFrame."""
    return pd.DataFrame(np.asarray(matrix.values), index=list(matrix.rows),
                        columns=list(matrix.cols))
