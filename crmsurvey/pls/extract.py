"""The statistics a bootstrap keeps, as flat arrays in a fixed order (shared by the
estimator and the bootstrap workers)."""
from __future__ import annotations

import numpy as np

from .layout import Layout
from .stats import BatchStats

__all__ = ["extract_stats", "path_pairs", "effect_pairs"]


def path_pairs(lay: Layout) -> list[tuple[int, int]]:
    return [(i, j) for j in range(lay.k) for i in lay.predecessors(j)]


def effect_pairs(lay: Layout) -> list[tuple[int, int]]:
    reach = lay.adj.astype(float)
    total = np.zeros_like(reach)
    power = reach.copy()
    for _ in range(lay.k):
        total += power
        power = power @ reach
    return [(i, j) for j in range(lay.k) for i in range(lay.k) if total[i, j] > 0]


def extract_stats(s: BatchStats, lay: Layout) -> dict[str, np.ndarray]:
    paths = path_pairs(lay)
    effects = effect_pairs(lay)
    iu = np.triu_indices(lay.k, 1)
    item = np.arange(lay.p)
    endo = lay.endogenous
    return {
        "paths": s.beta[:, [i for i, _ in paths], [j for _, j in paths]],
        "total": s.total[:, [i for i, _ in effects], [j for _, j in effects]],
        "loadings": s.loadings[:, item, lay.block],
        "weights": s.weights,
        "htmt": s.htmt[:, iu[0], iu[1]],
        "index": s.index,
        "r2": s.r2[:, endo],
    }
