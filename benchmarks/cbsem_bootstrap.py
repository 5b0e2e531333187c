"""CB-SEM bootstrap speed: crmsurvey's batched refits, and lavaan's when R has it.

Political Democracy (REFERENCE.md; data and model from semopy.examples) and
Holzinger–Swineford-size CFA (simulated, 301 × 9, three factors). Prints our time per
resample; when ``Rscript`` with lavaan is on the machine (Debian: r-cran-lavaan) it runs
lavaan's ``bootstrapLavaan`` on the same data in the same minute and prints the ratio.

    .venv/bin/python benchmarks/cbsem_bootstrap.py [--n 1000] [--lavaan-n 200]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import crmsurvey as cs  # noqa: E402

HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def hs_like(n: int = 301, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = np.array([[1, .45, .47], [.45, 1, .28], [.47, .28, 1]])
    f = rng.standard_normal((n, 3)) @ np.linalg.cholesky(phi).T
    lam = np.array([.77, .42, .58, .85, .86, .84, .57, .72, .67])
    x = f[:, np.repeat([0, 1, 2], 3)] * lam + rng.standard_normal((n, 9)) * np.sqrt(1 - lam**2)
    return pd.DataFrame(x * 1.1 + 4, columns=[f"x{i}" for i in range(1, 10)])


def ours(model: str, data: pd.DataFrame, n: int, estimator: str = "ML") -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs.cbsem(model, data, estimator=estimator)  # imports and first compile
        t0 = time.perf_counter()
        cs.cbsem(model, data, estimator=estimator)
        fit_only = time.perf_counter() - t0
        t = time.perf_counter()
        cs.cbsem(model, data, bootstrap=n, seed=1, estimator=estimator)
        return (time.perf_counter() - t - fit_only) / n


def rscript(body: str, data: pd.DataFrame) -> float | None:
    """Run R code with lavaan loaded and the data as ``d``; the last number it prints."""
    if not shutil.which("Rscript"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "d.csv")
        data.to_csv(csv, index=False)
        script = f'suppressMessages(library(lavaan))\nd <- read.csv("{csv}")\n{body}'
        proc = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
        if proc.returncode != 0:
            print("  lavaan failed:", proc.stderr.strip().splitlines()[-1:])
            return None
        return float(proc.stdout.split()[-1])


def lavaan(model: str, data: pd.DataFrame, n: int, estimator: str = "ML") -> float | None:
    return rscript(f"""
fit <- sem('{model.replace(chr(10), "; ")}', data = d, estimator = "{estimator}")
t <- system.time(b <- bootstrapLavaan(fit, R = {n}, FUN = "coef", parallel = "no"))
cat(t[["elapsed"]] / {n}, "\\n")
""", data)


def ordered_cut(data: pd.DataFrame) -> pd.DataFrame:
    """Each item cut into four ordered categories at its quartiles and 80th percentile."""
    return data.apply(lambda c: pd.cut(c, [-np.inf, *c.quantile([.25, .5, .8]), np.inf],
                                       labels=False).astype(int))


def wlsmv_speed(model: str, data: pd.DataFrame) -> None:
    """WLSMV fit (thresholds, polychorics, Γ, DWLS, robust SEs, test) on the HS-size data
    cut into four categories, against lavaan's whole ``cfa(..., estimator = "WLSMV")``."""
    cut = ordered_cut(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs.cbsem(model, cut, ordered=True)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            cs.cbsem(model, cut, ordered=True)
            times.append(time.perf_counter() - t)
    line = f"WLSMV fit, HS-size CFA cut into 4 categories: crmsurvey {min(times) * 1e3:.0f} ms"
    m = model.replace(chr(10), "; ")
    lav = rscript(f"""
f <- cfa('{m}', data = d, ordered = names(d), estimator = "WLSMV")
t <- system.time(for (i in 1:5) cfa('{m}', data = d, ordered = names(d), estimator = "WLSMV"))
cat(t[["elapsed"]] / 5, "\\n")
""", cut)
    if lav is not None:
        line += f"; lavaan {lav * 1e3:.0f} ms; ratio {lav / min(times):.1f}x"
    print(line)


def wlsmv_bootstrap(model: str, data: pd.DataFrame, n: int, lavaan_n: int) -> None:
    """WLSMV bootstrap (every resample: thresholds, polychorics, weights, DWLS) against
    lavaan's ``bootstrapLavaan`` of the same WLSMV fit."""
    cut = ordered_cut(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs.cbsem(model, cut, ordered=True)
        t0 = time.perf_counter()
        cs.cbsem(model, cut, ordered=True)
        fit_only = time.perf_counter() - t0
        t = time.perf_counter()
        cs.cbsem(model, cut, ordered=True, bootstrap=n, seed=1)
        per_ours = (time.perf_counter() - t - fit_only) / n
    m = model.replace(chr(10), "; ")
    lav = rscript(f"""
fit <- cfa('{m}', data = d, ordered = names(d), estimator = "WLSMV")
t <- system.time(b <- bootstrapLavaan(fit, R = {lavaan_n}, FUN = "coef", parallel = "no"))
cat(t[["elapsed"]] / {lavaan_n}, "\\n")
""", cut)
    line = (f"HS-size CFA cut into 4 categories, WLSMV bootstrap: crmsurvey "
            f"{per_ours * 1e3:.2f} ms/resample")
    if lav is not None:
        line += f"; lavaan {lav * 1e3:.1f} ms/resample; ratio {lav / per_ours:.0f}x"
    print(line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--lavaan-n", type=int, default=200)
    args = ap.parse_args()
    from semopy.examples import political_democracy as pdx

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}")
    cases = [("Political Democracy (75 x 11, 31 parameters)",
              "\n".join(ln for ln in pdx.get_model().splitlines() if not ln.startswith("#")),
              pdx.get_data()),
             ("Holzinger-Swineford-size CFA (301 x 9, 21 parameters)", HS, hs_like())]
    cases = [(name, model, data, est) for name, model, data in cases for est in ("ML", "MLR")]
    wlsmv_speed(HS, hs_like())
    wlsmv_bootstrap(HS, hs_like(), args.n, args.lavaan_n // 4)
    for name, model, data, est in cases:
        name = f"{name}, {est}"
        per_ours = ours(model, data, args.n, est)
        per_lav = lavaan(model, data, args.lavaan_n, est)
        line = f"{name}: crmsurvey {per_ours * 1e3:.2f} ms/resample"
        if per_lav is not None:
            line += f"; lavaan {per_lav * 1e3:.1f} ms/resample; ratio {per_lav / per_ours:.0f}x"
        else:
            line += "; lavaan not installed (apt-get install r-cran-lavaan)"
        print(line)


if __name__ == "__main__":
    main()
