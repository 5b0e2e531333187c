"""The model as index arrays: item order, blocks, modes and the structural adjacency."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelSyntaxError
from ..model import ModelSpec, find_cycle

__all__ = ["Layout", "layout_of"]


@dataclass(frozen=True, eq=False)
class Layout:
    """Index form of a :class:`~crmsurvey.model.ModelSpec` for the PLS engine.

    ``adj[i, j]`` is True where construct i predicts construct j.
    """

    spec: ModelSpec
    constructs: tuple[str, ...]
    items: tuple[str, ...]
    block: np.ndarray  # (p,) construct index of each item
    mask: np.ndarray  # (p, K) 1 where item belongs to construct
    mode_b: np.ndarray  # (K,) True for mode B (composite, "<~")
    adj: np.ndarray  # (K, K) bool

    @property
    def p(self) -> int:
        return len(self.items)

    @property
    def k(self) -> int:
        return len(self.constructs)

    def predecessors(self, j: int) -> np.ndarray:
        return np.flatnonzero(self.adj[:, j])

    @property
    def endogenous(self) -> list[int]:
        return [j for j in range(self.k) if self.adj[:, j].any()]

    def causal_order(self) -> list[int]:
        """Constructs in a causal order: the exogenous ones first, then each outcome after
        all its predictors (ties in the written order)."""
        done = [j for j in range(self.k) if not self.adj[:, j].any()]
        while len(done) < self.k:
            done.append(next(j for j in range(self.k) if j not in done
                             and all(i in done for i in self.predecessors(j))))
        return done

    def items_of(self, j: int) -> np.ndarray:
        return np.flatnonzero(self.block == j)


def layout_of(spec: ModelSpec, *, shared_items: bool = False, staged: bool = False) -> Layout:
    """Check the model for PLS and build its :class:`Layout`.

    ``shared_items`` lets an item sit in more than one block (repeated indicators of a
    higher-order construct). Models with interaction terms or higher-order constructs
    are first staged by :mod:`crmsurvey.pls.staged` (``staged``: this is such a stage,
    whose interaction constructs have their own blocks).
    """
    if not staged and (spec.interactions or spec.higher_order):
        what = spec.interactions[0] if spec.interactions else spec.higher_order[0]
        raise ModelSyntaxError(f"{what!r}: interaction terms and higher-order constructs are "
                               "estimated by crmsurvey.pls only, not here")
    names = spec.construct_names
    index = {c: i for i, c in enumerate(names)}
    items: list[str] = []
    block: list[int] = []
    for j, c in enumerate(spec.constructs):
        for it in c.items:
            if it in items and not shared_items:
                raise ModelSyntaxError(f"item {it!r} is in more than one block "
                                       f"({spec.constructs[block[items.index(it)]].name!r} and "
                                       f"{c.name!r})")
            if it in index:
                raise ModelSyntaxError(f"{it!r} is both a construct and an item of {c.name!r}")
            items.append(it)
            block.append(j)
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for lhs, rhs in spec.paths:
        for name in (lhs, rhs):
            if name not in index:
                raise ModelSyntaxError(f"path {rhs} → {lhs} names {name!r}, which has no "
                                       "measurement block ('=~' or '<~' line)")
        if lhs == rhs:
            raise ModelSyntaxError(f"construct {lhs!r} predicts itself")
        adj[index[rhs], index[lhs]] = True
    graph = {c: {names[i] for i in np.flatnonzero(adj[:, j])} for j, c in enumerate(names)}
    cycle = find_cycle(graph)
    if cycle:
        raise ModelSyntaxError("the structural model has a cycle: " + " → ".join(cycle),
                               hint="PLS path models are recursive")
    lonely = [c for j, c in enumerate(names) if not adj[j].any() and not adj[:, j].any()]
    if lonely and len(names) > 1:
        raise ModelSyntaxError(f"construct {lonely[0]!r} has no structural path",
                               hint="every construct needs at least one '~' path")
    block_arr = np.array(block)
    mask = np.zeros((len(items), len(names)))
    mask[np.arange(len(items)), block_arr] = 1.0
    mode_b = np.array([c.mode == "B" for c in spec.constructs])
    return Layout(spec, tuple(names), tuple(items), block_arr, mask, mode_b, adj)
