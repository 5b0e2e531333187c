"""Time of ``crmsurvey demo`` split into loading, fitting, bootstrap, CB-SEM and rendering.

    .venv/bin/python benchmarks/demo.py [--lang en]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import crmsurvey as cs  # noqa: E402
from crmsurvey._resources import bundled_dir  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lang", default="en")
    args = ap.parse_args()
    from crmsurvey.pipeline import run
    from crmsurvey.report.render import render_report
    from crmsurvey.study import run_study

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    study_path = bundled_dir("studies") / "demo_ccsi.yaml"
    study = cs.load_study(study_path)
    d = study.definition
    q = study.questionnaire
    sim = d.data[0].simulate
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    raw = cs.simulate(q, sim.n, seed=sim.seed, groups=sim.groups)
    r = cs.load_responses(q, raw, exclude=d.exclude)
    t_load = time.perf_counter() - t
    w = r.data[d.weight].to_numpy()
    units = [r.data] + [r.data[r.data.brand == b] for b in sim.groups["brand"]]
    t = time.perf_counter()
    for u in units:
        cs.pls(q, u, weights=u[d.weight].to_numpy())
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    for u in units:
        cs.pls(q, u, weights=u[d.weight].to_numpy(), bootstrap=d.pls.bootstrap, seed=d.pls.seed)
    t_boot = time.perf_counter() - t - t_fit
    t = time.perf_counter()
    cs.cbsem(q, r.data, weights=w)
    t_cb = time.perf_counter() - t
    results = run_study(study)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        render_report(results.bundle, Path(tmp), lang=args.lang)
        t_render = time.perf_counter() - t
        t = time.perf_counter()
        run(study_path, Path(tmp) / "demo", lang=args.lang)
        t_all = time.perf_counter() - t
    print(f"demo ({args.lang}, {len(r.data)} respondents kept, 4 PLS fits with "
          f"{d.pls.bootstrap} resamples each):")
    for name, v in (("loading + screening", t_load), ("PLS fitting", t_fit),
                    ("PLS bootstrap", t_boot), ("CB-SEM (incl. semopy start-up)", t_cb),
                    ("rendering (HTML + PDF)", t_render), ("whole run, in process", t_all)):
        print(f"  {name:<32} {v:6.2f} s")


if __name__ == "__main__":
    main()
