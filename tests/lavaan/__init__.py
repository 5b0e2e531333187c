"""Run R's lavaan (Debian r-cran-lavaan, installed by setup.sh) on data the test gives.

The R code of every reference is in this folder beside the test that uses it; the data
go in as CSV and lavaan's ``fitMeasures`` and ``parameterEstimates`` come back as CSV.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent


def run_lavaan(script: str, data: pd.DataFrame, tmp: Path, model: str = "",
               **subst: str) -> dict:
    """Run ``common.R`` (lavaan, the data as ``d``, ``model`` as ``m``, the output helpers)
    and then ``HERE/script``, with any further ``{name}`` substitutions; return
    ``{"fit": Series, "est": DataFrame}``."""
    if shutil.which("Rscript") is None:
        raise RuntimeError("Rscript not found: run ./setup.sh (it installs r-cran-lavaan)")
    tmp.mkdir(parents=True, exist_ok=True)
    data.to_csv(tmp / "data.csv", index=False)
    code = "\n".join((HERE / f).read_text(encoding="utf-8") for f in ("common.R", script))
    for k, v in {"DATA": tmp / "data.csv", "FIT": tmp / "fit.csv", "EST": tmp / "est.csv",
                 "MODEL": model, **subst}.items():
        code = code.replace("{" + k + "}", str(v))
    (tmp / "run.R").write_text(code, encoding="utf-8")
    proc = subprocess.run(["Rscript", str(tmp / "run.R")], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode:
        raise RuntimeError(f"lavaan failed: {proc.stderr[-2000:]}")
    fit = pd.read_csv(tmp / "fit.csv").set_index("measure")["value"]
    est = pd.read_csv(tmp / "est.csv")
    return {"fit": fit, "est": est}
