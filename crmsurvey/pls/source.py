"""Where the engine's samples come from: the item matrix and the moments of any set of
row frequencies (full sample, bootstrap resamples, PLSpredict training folds)."""
from __future__ import annotations

import numpy as np

from ..moments import Moments, PairProducts

__all__ = ["Plain", "Fitted"]


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
