"""Time of the demo study by stage (from the run's own progress reports), rendering in
both languages, and ``crmsurvey demo`` as a user runs it (with the imports).

    .venv/bin/python benchmarks/demo.py
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import crmsurvey as cs  # noqa: E402
from crmsurvey._resources import bundled_dir  # noqa: E402


def main() -> None:
    from crmsurvey.report.render import render_report
    from crmsurvey.study import run_study

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    study = cs.load_study(bundled_dir("studies") / "demo_ccsi.yaml")
    warnings.simplefilter("ignore")
    marks: dict[str, list[float]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, []).append(time.perf_counter())

    t0 = time.perf_counter()
    done = run_study(study, progress=progress)
    t_study = time.perf_counter() - t0
    r = done.results
    span = {k: v[-1] - v[0] for k, v in marks.items()}
    after_fit = marks["cbsem"][0] - marks["fitting"][-1]
    print(f"demo: {r.sample.rows_kept} respondents kept, {len(r.models)} PLS units with "
          f"{study.definition.pls.bootstrap} resamples each, {len(r.comparisons)} group "
          f"item(s) compared, {len(r.trend.changes) if r.trend else 0} changes")
    rows = [("loading + screening", span["loading"]), ("PLS units (fit + bootstrap)",
                                                       span["fitting"]),
            ("comparisons, trend, drivers", after_fit), ("CB-SEM", span["cbsem"]),
            ("analytics", span["analytics"]), ("run_study in all", t_study)]
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("en", "zh-CN"):
            out = Path(tmp) / lang
            out.mkdir()
            t = time.perf_counter()
            _, pdf = render_report(r, out, lang=lang)
            elapsed = time.perf_counter() - t
            from pypdf import PdfReader

            pages = len(PdfReader(str(pdf)).pages)
            rows.append((f"rendering {lang} ({pages} pages)", elapsed))
            rows.append((f"  per page ({lang})", elapsed / pages))
        exe = Path(sys.executable).with_name("crmsurvey")
        t = time.perf_counter()
        subprocess.run([str(exe), "demo", "-o", str(Path(tmp) / "cli")], check=True,
                       capture_output=True)
        rows.append(("`crmsurvey demo` wall clock", time.perf_counter() - t))
    for name, v in rows:
        print(f"  {name:<32} {v:6.2f} s")


if __name__ == "__main__":
    main()
