"""Seeds, resolved once and derived in one place.

Every estimator, the study file and the CLI take the same default seed,
:data:`DEFAULT_SEED`, so the same call gives the same numbers from Python, from a study
file and from the command line. ``seed=None`` asks for a fresh seed from the operating
system's entropy; the seed drawn is kept in the result's settings, so the run can be
repeated.

Parts of a computation that need their own random stream (the bootstrap of each group,
the permutations of each pair, each repetition of PLSpredict's folds, each block of
resamples) take a *child* of the seed: :func:`child_seed` (an integer, for a function
that takes a seed) or :func:`block_rng` (a generator) — both from numpy's
``SeedSequence([seed, *keys])``, so children are independent and do not depend on the
order, chunking or worker that draws them.

>>> child_seed(1, 0, 2) == child_seed(1, 0, 2) != child_seed(1, 0, 3)
True
>>> resolve_seed(7)
7
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported when a seed is used, not when options are read
    import numpy as np

__all__ = ["DEFAULT_SEED", "MAX_SEED", "resolve_seed", "child_seed", "block_rng", "text_key"]

#: The one default seed of every surface (``pls()``, ``cbsem()``, the study file, the CLI).
#: 1 is what study files have always used, so their results did not change when the
#: Python functions (formerly ``None``: a fresh seed) and the CLI (formerly 0) took it.
DEFAULT_SEED = 1
#: Largest seed: seeds are 32-bit unsigned integers (every numpy generator takes them).
MAX_SEED = 2**32 - 1


def resolve_seed(seed: int | None) -> int:
    """``seed`` itself, or for ``None`` a fresh 32-bit seed from the OS entropy.

    Parameters
    ----------
    seed : int or None
        A seed ``0 ≤ seed ≤ MAX_SEED`` (checked by the options records), or ``None``.
    """
    if seed is None:
        import numpy as np

        return int(np.random.SeedSequence().generate_state(1)[0])
    return int(seed)


def child_seed(seed: int, *keys: int) -> int:
    """A 32-bit seed for the part of a computation named by ``keys`` (integers ≥ 0):
    ``SeedSequence([seed, *keys])``'s first state word."""
    import numpy as np

    return int(np.random.SeedSequence([int(seed), *map(int, keys)]).generate_state(1)[0])


def block_rng(seed: int, *keys: int) -> np.random.Generator:
    """The generator of one block (of resamples, permutations, folds) of a computation
    seeded with ``seed``: ``default_rng([seed, *keys])``."""
    import numpy as np

    return np.random.default_rng([int(seed), *map(int, keys)])


def text_key(text: str) -> int:
    """A stable integer key for a name (a group, a unit): CRC-32 of its UTF-8 bytes."""
    return zlib.crc32(text.encode("utf-8"))
