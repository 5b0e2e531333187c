"""CB-SEM speed: crmsurvey beside lavaan, run in the same minute when R has it.

Models: Political Democracy (REFERENCE.md; data and model from semopy.examples), a
Holzinger–Swineford-size CFA (simulated, 301 × 9, three factors) and a survey-size CFA
(simulated: 25 six-point items on five correlated factors, 2,500 respondents; the
bootstrap on its complete version, the MLR-with-FIML fit with 10 % of answers missing
completely at random). Printed, each with lavaan's time and the ratio (lavaan / ours,
above 1 means crmsurvey is faster):

- time per bootstrap resample (ML and MLR; WLSMV on the HS-size items cut into four
  categories) against lavaan's ``bootstrapLavaan``;
- one WLSMV fit, and one MLR-with-FIML fit of the survey-size model (``missing = "ml"``);
- the first fit in a fresh process: ``import crmsurvey`` done, the first ``cs.cbsem()``
  call (every lazy import it pulls in) against lavaan's first ``cfa()`` after
  ``library(lavaan)``; and the whole process by the wall clock (interpreter, numpy,
  pandas, crmsurvey, the fit) against ``Rscript`` (R, ``library(lavaan)``, the fit).

``--load 2`` starts two busy processes for the run (each a Python loop on one core), to
see the ratios on a loaded machine.

    .venv/bin/python benchmarks/cbsem_bootstrap.py [--n 1000] [--lavaan-n 200] [--load 2]
        [--only small,survey,fiml,first,wlsmv]
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


SURVEY = "\n".join(f"{c} =~ " + " + ".join(f"{c}{i}" for i in range(1, 6)) for c in "ABCDE")


def survey25(n: int = 2500, seed: int = 7, holes: float = 0.0) -> pd.DataFrame:
    """25 six-point items on five correlated factors (loadings 0.55–0.85), ``holes`` of the
    answers missing completely at random."""
    rng = np.random.default_rng(seed)
    phi = 0.3 + 0.7 * np.eye(5)
    f = rng.standard_normal((n, 5)) @ np.linalg.cholesky(phi).T
    lam = rng.uniform(0.55, 0.85, 25)
    x = f[:, np.repeat(np.arange(5), 5)] * lam + rng.standard_normal((n, 25)) * np.sqrt(
        1 - lam ** 2)
    x = np.clip(np.round(3.5 + 1.2 * x), 1, 6)
    x[rng.random(x.shape) < holes] = np.nan
    return pd.DataFrame(x, columns=[f"{c}{i}" for c in "ABCDE" for i in range(1, 6)])


def fiml_fit(model: str, data: pd.DataFrame) -> None:
    """One MLR fit with FIML (Huber–White SEs, Yuan–Bentler test, FIML-corrected robust
    indices) of the survey-size model with holes, against lavaan's ``cfa(...,
    estimator = "MLR", missing = "ml")``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs.cbsem(model, data.iloc[:300], estimator="MLR", missing="fiml")  # warm imports
        t = time.perf_counter()
        res = cs.cbsem(model, data, estimator="MLR", missing="fiml")
        ours = time.perf_counter() - t
    patterns = len(np.unique(data.notna().to_numpy(), axis=0))
    line = (f"MLR with FIML, survey-size CFA ({len(data)} x {data.shape[1]}, "
            f"{patterns} missing-data patterns, {int(res.fit['npar'])} parameters): "
            f"crmsurvey {ours:.2f} s")
    m = model.replace(chr(10), "; ")
    lav = rscript(f"""
t <- system.time(f <- cfa('{m}', data = d, estimator = "MLR", missing = "ml"))
cat(t[["elapsed"]], "\\n")
""", data)
    if lav is not None:
        line += f"; lavaan {lav:.2f} s; ratio {lav / ours:.1f}x"
    print(line)


FIRST = """
import time, warnings
import numpy as np, pandas as pd
import crmsurvey as cs
rng = np.random.default_rng(1)
f = rng.standard_normal((301, 3))
x = f[:, np.repeat([0, 1, 2], 3)] * 0.7 + rng.standard_normal((301, 9)) * 0.7
d = pd.DataFrame(x, columns=[f"x{i}" for i in range(1, 10)])
warnings.simplefilter("ignore")
t = time.perf_counter()
cs.cbsem("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9", d)
print(time.perf_counter() - t)
"""


def first_fit(runs: int = 3) -> None:
    """The first ``cs.cbsem()`` of a fresh process (``import crmsurvey`` and the data
    done), best of ``runs`` processes, against lavaan's first ``cfa()`` after
    ``library(lavaan)``."""
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", FIRST], capture_output=True, text=True,
                             check=True, cwd=os.path.join(os.path.dirname(__file__), ".."))
        times.append(float(out.stdout.split()[-1]))
    line = f"first fit in a fresh process (HS-size CFA): crmsurvey {min(times):.2f} s"
    lav = []
    for _ in range(runs):
        got = rscript(f"""
t <- system.time(cfa('{HS.replace(chr(10), "; ")}', data = d))
cat(t[["elapsed"]], "\\n")
""", hs_like())
        if got is not None:
            lav.append(got)
    if lav:
        line += f"; lavaan {min(lav):.2f} s; ratio {min(lav) / min(times):.1f}x"
    print(line)
    whole_process(runs)


def whole_process(runs: int = 3) -> None:
    """The whole fresh process, wall clock: the interpreter, numpy, pandas, crmsurvey
    and the first fit (``python -c``), best of ``runs``, against ``Rscript`` starting R,
    ``library(lavaan)``, reading the same data and the first ``cfa()``."""
    root = os.path.join(os.path.dirname(__file__), "..")
    times, lav = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", FIRST], capture_output=True, check=True,
                       cwd=root)
        times.append(time.perf_counter() - t)
    line = f"whole fresh process with the first fit (wall): crmsurvey {min(times):.2f} s"
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = os.path.join(tmp, "d.csv")
            hs_like().to_csv(csv, index=False)
            code = (f'suppressMessages(library(lavaan)); d <- read.csv("{csv}"); '
                    f"f <- cfa('{HS.replace(chr(10), '; ')}', data = d)")
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run(["Rscript", "-e", code], capture_output=True, check=True)
                lav.append(time.perf_counter() - t)
        line += f"; lavaan {min(lav):.2f} s; ratio {min(lav) / min(times):.1f}x"
    print(line)


def busy(n: int) -> list[subprocess.Popen]:
    """``n`` processes that keep one core busy each (ended by the caller)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--lavaan-n", type=int, default=200)
    ap.add_argument("--load", type=int, default=0, help="busy processes during the run")
    ap.add_argument("--only", default="small,survey,fiml,first,wlsmv",
                    help="comma-separated parts: small, survey, fiml, first, wlsmv")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    from semopy.examples import political_democracy as pdx

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}; load average {load:.1f} "
          f"before the run; {args.load} extra busy processes")
    workers = busy(args.load)
    try:
        cases = []
        if "small" in parts:
            cases += [("Political Democracy (75 x 11, 31 parameters)",
                       "\n".join(ln for ln in pdx.get_model().splitlines()
                                 if not ln.startswith("#")), pdx.get_data()),
                      ("Holzinger-Swineford-size CFA (301 x 9, 21 parameters)", HS,
                       hs_like())]
        if "survey" in parts:
            cases.append(("survey-size CFA (2500 x 25, 60 parameters)", SURVEY, survey25()))
        cases = [(name, model, data, est) for name, model, data in cases
                 for est in ("ML", "MLR")]
        if "wlsmv" in parts:
            wlsmv_speed(HS, hs_like())
            wlsmv_bootstrap(HS, hs_like(), args.n, args.lavaan_n // 4)
        for name, model, data, est in cases:
            name = f"{name}, {est}"
            per_ours = ours(model, data, args.n, est)
            # lavaan's MLR bootstrap recomputes robust statistics per resample: fewer
            per_lav = lavaan(model, data, args.lavaan_n if est == "ML"
                             else max(args.lavaan_n // 4, 20), est)
            line = f"{name}: crmsurvey {per_ours * 1e3:.2f} ms/resample"
            if per_lav is not None:
                line += (f"; lavaan {per_lav * 1e3:.1f} ms/resample; ratio "
                         f"{per_lav / per_ours:.0f}x")
            else:
                line += "; lavaan not installed (apt-get install r-cran-lavaan)"
            print(line, flush=True)
        if "fiml" in parts:
            fiml_fit(SURVEY, survey25(holes=0.10))
        if "first" in parts:
            first_fit()
    finally:
        for w in workers:
            w.terminate()
            w.wait()


if __name__ == "__main__":
    main()
