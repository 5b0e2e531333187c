"""Scale-out: a 200-brand CSI study (500 respondents per brand, 1,000 PLS resamples per
brand), fitted in 1 process, on the local process pool, and on a 2-worker Dask
LocalCluster on loopback. Prints the times, checks the numbers are identical, and the
peak memory of this process.

    .venv/bin/python benchmarks/many_brands.py [--brands 200] [--n 500] [--boot 1000]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


import crmsurvey as cs  # noqa: E402
from crmsurvey.study.run import fit_units  # noqa: E402
from crmsurvey.study.schema import PLSOptions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--brands", type=int, default=200)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--boot", type=int, default=1000)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    q = cs.load_questionnaire("ccsi")
    brands = [f"B{i:03d}" for i in range(args.brands)]
    t = time.perf_counter()
    raw = cs.simulate(q, args.n, seed=1, groups={"brand": brands})
    data = cs.load_responses(q, raw).data.reset_index(drop=True)
    print(f"simulated and checked {len(data)} respondents in {time.perf_counter() - t:.1f} s")
    spec, bounds = q.model_spec(), q.scale_bounds()
    units = [(f"brand={b}", data.brand == b) for b in brands]
    opts = PLSOptions(bootstrap=args.boot, seed=7)
    timings, results = {}, {}
    t = time.perf_counter()
    results["1 process"] = fit_units(spec, data, units, opts, None, bounds)
    timings["1 process"] = time.perf_counter() - t
    t = time.perf_counter()
    results["local pool (2 processes)"] = fit_units(spec, data, units, opts, None, bounds,
                                                    engine="processes")
    timings["local pool (2 processes)"] = time.perf_counter() - t
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t = time.perf_counter()
        results["Dask LocalCluster (2 workers)"] = fit_units(spec, data, units, opts, None,
                                                             bounds, engine=client)
        timings["Dask LocalCluster (2 workers)"] = time.perf_counter() - t
    ref = results["1 process"]
    for name, res in results.items():
        diff = max(float((res[u].paths[["est", "se"]] - ref[u].paths[["est", "se"]])
                         .abs().max().max()) for u, _ in units)
        print(f"  {name:<32} {timings[name]:7.1f} s  "
              f"({timings[name] / len(units) * 1e3:.0f} ms per brand; largest difference "
              f"from 1 process: {diff:.1e})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the driver process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
