"""Interaction terms and higher-order constructs: the model is estimated in stages.

``stage(spec, ...)`` turns a model with ``A:B`` terms or constructs made of constructs
into a **first-order model** (stage 1: every construct with its own items; a higher-order
construct replaced by its dimensions — its antecedents point to each dimension and each
dimension to its outcomes; interaction terms left out) and the **model estimated**
(stage 2), whose blocks may hold *derived* columns:

- interaction, ``"two_stage"`` (SmartPLS's default; Henseler & Chin 2010): one column,
  the product of the two constructs' standardised stage-1 scores;
- interaction, ``"product_indicator"``: every product of the two blocks' standardised
  items; ``"orthogonal"``: those products' residuals on the two blocks' items (Little
  et al. 2006); the interaction construct is mode A over them (as seminr);
- higher-order, ``"two_stage"`` (embedded; seminr's ``higher_composite``): the
  dimensions' stage-1 scores are the items of the higher-order construct;
- higher-order, ``"repeated"`` (repeated indicators; Lohmöller 1989): the higher-order
  construct's block is every item of its dimensions, with paths construct → dimension
  for ``=~`` (reflective) and dimension → construct for ``<~`` (formative).

:class:`Staged` rebuilds the derived columns from each set of row frequencies — the full
sample, every bootstrap resample, every PLSpredict training fold — so intervals reflect
both stages. Stage-1 scores of a resample are oriented like the full sample's
(construct-level sign change) before they are multiplied.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ModelSyntaxError
from ..model import Construct, ModelSpec
from ..moments import (Moments, PairProducts, as_frequencies, from_cov as moments_of_cov,
                       row_chunks, row_step)
from .layout import Layout, layout_of
from .stats import BatchStats, Options, batch_statistics, construct_signs

__all__ = ["Staging", "stage", "Staged", "INTERACTION_METHODS", "HIGHER_ORDER_METHODS"]

INTERACTION_METHODS = ("two_stage", "product_indicator", "orthogonal")
HIGHER_ORDER_METHODS = ("two_stage", "repeated")


@dataclass(frozen=True)
class Derived:
    """How one derived column is built. ``kind``: ``score`` (stage-1 score of construct
    ``a``), ``score_product`` (scores of ``a`` and ``b``), ``item_product`` (standardised
    items ``a`` and ``b``) or ``orthogonal`` (that product's residual on items
    ``among``)."""

    kind: str
    a: int
    b: int = -1
    among: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class Staging:
    first: Layout  # stage 1: first-order constructs over the data's items
    final: Layout  # the model estimated
    source: np.ndarray  # (P,) column of the data for each final item, −1 if derived
    derived: tuple[Derived, ...]  # one per final item with source −1, in order
    interaction: str
    higher_order: str
    has_higher_order: bool

    @property
    def needs_scores(self) -> bool:
        return any(d.kind in ("score", "score_product") for d in self.derived)


def _first_order(spec: ModelSpec) -> ModelSpec:
    hoc = {c.name: c for c in spec.constructs if c.name in spec.higher_order}
    paths: list[tuple[str, str]] = []
    for lhs, rhs in spec.paths:
        if ":" in rhs:
            continue
        outs = hoc[lhs].items if lhs in hoc else (lhs,)
        ins = hoc[rhs].items if rhs in hoc else (rhs,)
        paths += [(o, i) for o in outs for i in ins if (o, i) not in paths]
    blocks = tuple(c for c in spec.constructs if c.name not in hoc)
    return ModelSpec(blocks, tuple(paths))


def _check(spec: ModelSpec) -> None:
    names = set(spec.construct_names)
    hoc = set(spec.higher_order)
    for c in spec.constructs:
        if c.name in hoc:
            bad = [i for i in c.items if i not in names or i in hoc]
            if bad:
                raise ModelSyntaxError(f"higher-order construct {c.name!r} mixes constructs and "
                                       f"items ({bad[0]!r}); its block must list first-order "
                                       "constructs only")
    dims = {i for c in spec.constructs if c.name in hoc for i in c.items}
    for lhs, rhs in spec.paths:
        for name in (lhs, *rhs.split(":")):
            if name in dims:
                raise ModelSyntaxError(f"{name!r} is a dimension of a higher-order construct "
                                       "and cannot have structural paths of its own")
            if name not in names:
                raise ModelSyntaxError(f"path {rhs} → {lhs} names {name!r}, which has no "
                                       "measurement block ('=~' or '<~' line)")
        if ":" in rhs and set(rhs.split(":")) & hoc:
            raise ModelSyntaxError(f"{rhs!r}: interactions with a higher-order construct are "
                                   "not supported")


def stage(spec: ModelSpec, *, interaction: str = "two_stage",
          higher_order: str = "two_stage") -> Staging | None:
    """The stages of ``spec``, or None for a plain first-order linear model."""
    if not spec.interactions and not spec.higher_order:
        return None
    if interaction not in INTERACTION_METHODS:
        raise InputError(f"interaction must be one of {', '.join(INTERACTION_METHODS)}")
    if higher_order not in HIGHER_ORDER_METHODS:
        raise InputError(f"higher_order must be one of {', '.join(HIGHER_ORDER_METHODS)}")
    _check(spec)
    first = layout_of(_first_order(spec))
    hoc = set(spec.higher_order)
    dims = {i for c in spec.constructs if c.name in hoc for i in c.items}
    blocks: list[Construct] = []
    paths = [p for p in spec.paths]
    items: list[tuple[str, int | Derived]] = []  # final item name, data column or recipe

    def own(c: str) -> list[tuple[str, int]]:
        return [(first.items[i], int(i)) for i in first.items_of(first.constructs.index(c))]

    for c in spec.constructs:
        if c.name in dims and higher_order == "two_stage":
            continue  # lives in stage 1 only
        if c.name in hoc:
            if higher_order == "two_stage":
                members = [(d, Derived("score", first.constructs.index(d))) for d in c.items]
            else:
                members = [m for d in c.items for m in own(d)]
                if c.mode == "A":
                    paths += [(d, c.name) for d in c.items]
                else:
                    paths += [(c.name, d) for d in c.items]
        else:
            members = own(c.name)
        blocks.append(Construct(c.name, tuple(m for m, _ in members), c.mode))
        items += members
    for term in spec.interactions:
        a, b = term.split(":")
        ja, jb = first.constructs.index(a), first.constructs.index(b)
        if interaction == "two_stage":
            members = [(f"{a}*{b}", Derived("score_product", ja, jb))]
        else:
            ia, ib = first.items_of(ja), first.items_of(jb)
            among = tuple(int(i) for i in dict.fromkeys([*ia, *ib]))
            kind = "item_product" if interaction == "product_indicator" else "orthogonal"
            members = [(f"{first.items[i]}*{first.items[k]}", Derived(kind, int(i), int(k),
                                                                      among))
                       for i in ia for k in ib]
        blocks.append(Construct(term, tuple(m for m, _ in members), "A"))
        items += members
    final = layout_of(ModelSpec(tuple(blocks), tuple(paths)),
                      shared_items=higher_order == "repeated", staged=True)
    recipe = {name: how for name, how in items}
    source = np.array([recipe[i] if isinstance(recipe[i], int) else -1 for i in final.items])
    derived = tuple(recipe[i] for i in final.items if not isinstance(recipe[i], int))
    return Staging(first, final, source, derived, interaction, higher_order,
                   bool(spec.higher_order))


class Staged:
    """Data and moments of the model estimated, derived columns rebuilt per row weighting.

    Frequencies come as a (B, n) array or :class:`~crmsurvey.moments.Frequencies`; the
    moments are accumulated over row chunks (items' moments and the first stage in one
    pass, the orthogonalising regressions in a second where needed, the final columns'
    moments in the last), so no (B, n, P) array is formed for the whole sample.
    """

    def __init__(self, x: np.ndarray, base_w: np.ndarray, staging: Staging,
                 opts: Options) -> None:
        self.x, self.staging, self.opts = x, staging, opts
        self._pp = PairProducts(x)
        self._ref = None
        if staging.needs_scores:
            m = self._pp.moments(base_w[None])
            self._ref = batch_statistics(m, staging.first, self._first_opts()).loadings[0]

    def _first_opts(self) -> Options:
        o = self.opts
        return Options(o.scheme, o.tol, o.max_iter, False,
                       np.full((self.staging.first.p, 2), np.nan))

    def first_stage(self, freq) -> tuple[Moments, BatchStats]:
        """The items' moments and the first-order model for each sample of ``freq``, every
        construct oriented like the full sample's (construct-level sign change)."""
        m = self._pp.moments(freq)
        first = batch_statistics(m, self.staging.first, self._first_opts())
        if self._ref is None:
            return m, first
        return m, first.flip(construct_signs(self._ref, first.loadings, self.staging.first),
                             self.staging.first, self._first_opts(), m)

    def _plan(self, f) -> "_Plan":
        """Per sample: item moments, stage-1 weights, orthogonalising coefficients."""
        st = self.staging
        m, first = self.first_stage(f) if st.needs_scores else (self._pp.moments(f), None)
        w = None if first is None else first.weights[:, :, None] * st.first.mask
        plan = _Plan(m.mean - self._pp.centre, m.sd, w, {})
        ortho = [k for k, d in enumerate(st.derived) if d.kind == "orthogonal"]
        if ortho:
            gram: dict[int, np.ndarray] = {}
            cross: dict[int, np.ndarray] = {}
            for rows in row_chunks(len(self.x), self._step(f.size)):
                fr = f.chunk(rows)
                z = self._z(plan, rows)
                for k in ortho:
                    d = st.derived[k]
                    design = _design(z, d)
                    wd = design * fr[:, :, None]
                    gram[k] = gram.get(k, 0) + wd.transpose(0, 2, 1) @ design
                    cross[k] = cross.get(k, 0) + np.einsum("bnk,bn->bk", wd,
                                                           z[:, :, d.a] * z[:, :, d.b])
            for k in ortho:
                plan.coef[k] = np.linalg.solve(gram[k], cross[k][..., None])[..., 0]
        return plan

    def _step(self, b: int) -> int:
        st = self.staging
        return row_step(b * (3 * st.final.p + 2 * st.first.p + st.first.k + 2))

    def _z(self, plan: "_Plan", rows: slice) -> np.ndarray:
        return (self._pp.x[rows][None] - plan.shift[:, None, :]) / plan.sd[:, None, :]

    def _chunk(self, plan: "_Plan", rows: slice) -> np.ndarray:
        """(B, r, P): the final items of ``rows``; the data's own items centred at the
        whole sample's mean."""
        st = self.staging
        z = self._z(plan, rows)
        scores = None if plan.w is None else z @ plan.w
        xc = self._pp.x[rows]
        out = np.empty((len(plan.sd), len(xc), st.final.p))
        plain = st.source >= 0
        out[:, :, plain] = xc[None][:, :, st.source[plain]]
        if st.derived:
            out[:, :, ~plain] = np.stack([_column(d, z, scores, plan.coef.get(k))
                                          for k, d in enumerate(st.derived)], axis=-1)
        return out

    def _centre(self) -> np.ndarray:
        st = self.staging
        out = np.zeros(st.final.p)
        plain = st.source >= 0
        out[plain] = self._pp.centre[st.source[plain]]
        return out

    def data(self, freq) -> np.ndarray:
        """(B, n, P): the final items as each sample of ``freq`` sees them (dense: for
        PLSpredict's folds and the full sample)."""
        f = as_frequencies(freq)
        plan = self._plan(f)
        return self._chunk(plan, slice(0, len(self.x))) + self._centre()

    def moments(self, freq) -> Moments:
        """Moments of the final items under each sample of ``freq``."""
        f = as_frequencies(freq)
        plan = self._plan(f)
        p = self.staging.final.p
        total, s1, s2 = np.zeros(f.size), np.zeros((f.size, p)), np.zeros((f.size, p, p))
        for rows in row_chunks(len(self.x), self._step(f.size)):
            fr = f.chunk(rows)
            d = self._chunk(plan, rows)
            wd = d * fr[:, :, None]
            total += fr.sum(axis=1)
            s1 += wd.sum(axis=1)
            s2 += wd.transpose(0, 2, 1) @ d
        mean_c = s1 / total[:, None]
        cov = s2 / total[:, None, None] - mean_c[:, :, None] * mean_c[:, None, :]
        m = moments_of_cov(mean_c + self._centre(), cov, total)
        return m

    def __getstate__(self):  # rebuilt in a worker, as Plain
        state = dict(self.__dict__)
        del state["_pp"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._pp = PairProducts(self.x)


@dataclass(frozen=True, eq=False)
class _Plan:
    shift: np.ndarray  # (B, p) sample means of the items minus the centre
    sd: np.ndarray  # (B, p)
    w: np.ndarray | None  # (B, p, K1) stage-1 weights in the block pattern
    coef: dict  # derived column → (B, k) orthogonalising coefficients


def _design(z: np.ndarray, d: Derived) -> np.ndarray:
    xs = z[:, :, list(d.among)]
    return np.concatenate([np.ones(xs.shape[:2] + (1,)), xs], axis=-1)


def _column(d: Derived, z: np.ndarray, scores, coef) -> np.ndarray:
    if d.kind == "score":
        return scores[:, :, d.a]
    if d.kind == "score_product":
        return scores[:, :, d.a] * scores[:, :, d.b]
    prod = z[:, :, d.a] * z[:, :, d.b]
    if d.kind == "item_product":
        return prod
    # residual of the product on the blocks' items (weighted least squares per sample)
    return prod - np.einsum("bnk,bk->bn", _design(z, d), coef)
