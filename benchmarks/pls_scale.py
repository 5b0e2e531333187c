"""PLS at national scale: wall time and peak memory by number of respondents.

The ACSI questionnaire's model (6 constructs, 15 items), 500 bootstrap resamples, on
10,000, 100,000 and 1,000,000 simulated respondents (``cs.simulate``, 100,000 at a time,
the realistic mess included; stored once as Parquet in ``--dir``). Each size runs in a
fresh process: read and check the file (``load_responses``), then ``pls`` — the peak
RSS is that process's. With ``--cluster N`` the N-row file is also estimated across a
Dask LocalCluster of ``--workers`` processes (:func:`crmsurvey.pls.partitioned.
pls_partitioned`: read, screened and reduced on the workers), with the driver's and
each worker's peak RSS.

    .venv/bin/python benchmarks/pls_scale.py [--sizes 10000,100000,1000000]
        [--resamples 500] [--cluster 1000000] [--workers 2] [--dir /tmp/crmsurvey-scale]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP = 100_000

GENERATE = """
import sys
import pandas as pd
import crmsurvey as cs
n, path = int(sys.argv[1]), sys.argv[2]
q = cs.load_questionnaire("acsi")
parts = []
for k, start in enumerate(range(0, n, {step})):
    df = cs.simulate(q, min({step}, n - start), seed=100 + k)
    df["resp_id"] = f"P{{k}}-" + df["resp_id"].astype(str)
    for c in df.columns:
        if df[c].dtype == object and c not in ("resp_id", "company"):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    parts.append(df)
frame = pd.concat(parts, ignore_index=True)
for c in ("resp_id", "company"):
    frame[c] = frame[c].astype(str)
frame.to_parquet(path, row_group_size={step}, index=False)
""".format(step=STEP)

ONE_PROCESS = """
import json, resource, sys, time, warnings
import crmsurvey as cs
path, b = sys.argv[1], int(sys.argv[2])
q = cs.load_questionnaire("acsi")
warnings.simplefilter("ignore")
import crmsurvey.pls.estimate, crmsurvey.responses.load, scipy.stats  # imports not timed
t0 = time.perf_counter()
r = cs.load_responses(q, path)
t1 = time.perf_counter()
res = cs.pls(q, r, bootstrap=b, seed=1)
t2 = time.perf_counter()
print(json.dumps({"n": res.settings.n, "read": t1 - t0, "pls": t2 - t1,
                  "resampling": res.settings.resampling, "failed": res.settings.n_failed,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CLUSTER = """
import json, resource, sys, time, warnings
import crmsurvey as cs
from distributed import Client, LocalCluster
from crmsurvey.pls.partitioned import pls_partitioned
path, b, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
warnings.simplefilter("ignore")
q = cs.load_questionnaire("acsi")
import crmsurvey.pls.estimate, scipy.stats  # imports not timed
with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                  dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as c:
    t0 = time.perf_counter()
    res, log = pls_partitioned(q, path, engine=c, bootstrap=b, seed=1)
    t1 = time.perf_counter()
    rss = c.run(lambda: __import__("resource").getrusage(
        __import__("resource").RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps({"n": res.settings.n, "pls": t1 - t0, "resampling": res.settings.resampling,
                  "failed": res.settings.n_failed, "rows_read": log.rows_read,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "workers": sorted(rss.values())}))
"""


def _run(script: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--resamples", type=int, default=500)
    ap.add_argument("--cluster", type=int, default=1_000_000, help="rows of the cluster run "
                    "(0: none)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dir", default="/tmp/crmsurvey-scale")
    args = ap.parse_args()
    import numpy as np

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python "
          f"{platform.python_version()}, numpy {np.__version__}; 1-min load average "
          f"{os.getloadavg()[0]:.2f}; ACSI model (15 items), {args.resamples} resamples")
    files = {}
    for n in sorted(set(sizes) | ({args.cluster} if args.cluster else set())):
        files[n] = folder / f"acsi_{n}.parquet"
        if not files[n].exists():
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", GENERATE, str(n), str(files[n])], cwd=ROOT,
                           check=True)
            print(f"  (simulated {n:,} respondents in {time.perf_counter() - t:.0f} s)")
    print(f"{'respondents':>12} {'scheme':>12} {'read+check':>11} {'pls':>8} {'peak RSS':>10}")
    for n in sizes:
        r = _run(ONE_PROCESS, files[n], args.resamples)
        print(f"{n:>12,} {r['resampling']:>12} {r['read']:>9.1f} s {r['pls']:>6.1f} s "
              f"{r['peak']:>6,.0f} MiB  (n used {r['n']:,}, {r['failed']} failed)", flush=True)
    if args.cluster:
        r = _run(CLUSTER, files[args.cluster], args.resamples, args.workers)
        print(f"{args.cluster:>12,} {r['resampling']:>12} LocalCluster, {args.workers} worker "
              f"processes: {r['pls']:.1f} s read+check+pls; driver peak {r['peak']:,.0f} MiB, "
              f"workers {', '.join(f'{w:,.0f}' for w in r['workers'])} MiB  "
              f"(n used {r['n']:,} of {r['rows_read']:,} read, {r['failed']} failed)")


if __name__ == "__main__":
    main()
