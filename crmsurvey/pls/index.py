"""CSI indices (0–100) and the importance–performance map (IPMA).

ACSI convention (Fornell et al. 1996): a construct's index is the mean of its items
rescaled to 0–100, weighted by the unstandardised outer weights normalised to sum 1:
``100 · Σ w̃ᵢ (x̄ᵢ − minᵢ)/(maxᵢ − minᵢ)``, ``w̃ᵢ = (wᵢ/sᵢ) / Σⱼ (wⱼ/sⱼ)``.
"""
from __future__ import annotations

import numpy as np

from .layout import Layout

__all__ = ["unstandardised_weights", "csi_index", "rescale"]


def unstandardised_weights(w: np.ndarray, sd: np.ndarray, lay: Layout) -> np.ndarray:
    """``w̃`` (B, p): standardised weights divided by the item SD, normalised per block."""
    raw = w / sd
    sums = raw @ lay.mask  # (B, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        return raw / sums[:, lay.block]


def csi_index(w: np.ndarray, mean: np.ndarray, sd: np.ndarray, bounds: np.ndarray,
              lay: Layout) -> np.ndarray:
    """Indices (B, K) from weights (B, p), item means and SDs (B, p), bounds (p, 2)."""
    wt = unstandardised_weights(w, sd, lay)
    return (wt * rescale(mean, bounds)) @ lay.mask


def rescale(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Items (n, p) rescaled to 0–100 by their response-scale bounds (p, 2)."""
    return 100 * (x - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
