"""Where the engine's samples come from: the item matrix and the moments of any set of
row frequencies (full sample, bootstrap resamples, PLSpredict training folds), and what a
post-estimation verb needs to draw a fitted model's own resamples again."""
from __future__ import annotations

import numpy as np

from .._random import DEFAULT_SEED
from ..errors import InputError
from ..moments import Moments, PairProducts, chunk_blocks
from ..resampling import BLOCK, scheme_for

__all__ = ["Plain", "Fitted", "fit_scheme", "model_resamples"]


class Plain:
    """The items as they are: moments from :class:`~crmsurvey.moments.PairProducts`."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self._pp = PairProducts(x)

    def moments(self, freq: np.ndarray) -> Moments:
        return self._pp.moments(freq)

    # only the items travel to a worker, which rebuilds the pair products (n × p²/2)
    def __getstate__(self):
        return {"x": self.x}

    def __setstate__(self, state):
        self.__init__(state["x"])

    def data(self, freq: np.ndarray) -> np.ndarray:
        """The item matrix each row of ``freq`` sees: (n, P), the same for all."""
        return self.x


class Fitted:
    """What a post-estimation verb (:mod:`.cvpat`, :mod:`.endogeneity`) needs to estimate
    the model again on other row frequencies: the sample ``source``, the row (sampling)
    weights, the layout, the engine options, the full-sample loadings (for the
    construct-level sign change), whether the model was estimated in stages, and the
    resampling scheme of its bootstrap (:mod:`crmsurvey.resampling`: its row frequencies
    are the model's resamples)."""

    def __init__(self, source, base_w: np.ndarray, lay, opts, full_loadings: np.ndarray, *,
                 staged: bool, scheme=None) -> None:
        self.source, self.base_w, self.lay, self.opts = source, base_w, lay, opts
        self.full_loadings, self.staged, self.scheme = full_loadings, staged, scheme


def model_resamples(scheme, n_boot: int):
    """The row frequencies (≤ BLOCK, n) of the first ``n_boot`` resamples of ``scheme``
    (a :mod:`crmsurvey.resampling` scheme: the model's own gives the resamples of its
    bootstrap), one block of resamples at a time; sampling weights not included."""
    for blocks, stop in chunk_blocks(n_boot, BLOCK):
        yield scheme.counts(blocks, slice(0, scheme.n))[:stop]


def fit_scheme(result, seed: int | None = None):
    """The resampling scheme of ``result``'s bootstrap (the rows, or the survey design it
    resampled), or the same kind of scheme with another ``seed``."""
    f, s = result._fitted, result.settings
    if f.scheme is not None and (seed is None or seed == getattr(f.scheme, "seed", None)):
        return f.scheme
    kind = getattr(s, "resampling", None) or "multinomial"
    if kind not in ("multinomial", "poisson"):
        raise InputError(f"the model's resamples follow its survey design ({kind}); they "
                         "are drawn with the fit's seed only")
    return scheme_for(kind, len(f.base_w), DEFAULT_SEED if seed is None else seed)
