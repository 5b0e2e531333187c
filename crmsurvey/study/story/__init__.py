"""The client's story as data: the scorecard, the findings and the recommendations of the
executive summary, built from the results at the study stage.

A finding is a code with parameters (numbers as in the results, groups as groups,
constructs and items by name), the preconditions that license it (:data:`REQUIREMENTS`)
and the ids of the report's body tables its numbers come from; the report renders it
through the catalogue, in any language. Nothing here is wording.

The focus is the client's group in the headline wave (``report.client_group``), or the
whole sample when the study names no client. Recommendations are the client's
question-level levers that matter most and perform worst (and below the best competitor,
where there are competitors), each with its ACSI-style impact: what a :data:`STEP`-point
rise in the lever's construct score would do to the satisfaction index and to the IPMA
target — the unstandardised total effect on the 0–100 scores, with a percentile interval
from the model's own bootstrap resamples (:func:`..impacts.importance_draws`).

The package: :mod:`.records` (findings as records, their preconditions and
:func:`holds`), :mod:`.context` (the focus and its look-ups), :mod:`.scorecard`,
:mod:`.findings` (the finding builders) and :mod:`.recommendations`.
"""
from __future__ import annotations

from ..results import Results, Story
from .context import _Ctx
from .findings import (_changes, _complaints, _drivers, _gaps, _pair_tests, _pairs,
                       _position, _scores, _segments, _spread, _weakest)
from .recommendations import (MOST_RECOMMENDATIONS, STEP, _below, _item_means,
                              _item_scores, _no_recommendation, _recommendations)
from .records import MAX_FINDINGS, REQUIREMENTS, _at_most, _finding, _significant, holds
from .scorecard import _draws, _line, _scorecard, _weighted_market, market_shares

__all__ = ["STEP", "REQUIREMENTS", "build_story", "market_shares", "holds"]


def build_story(results: Results, fits: dict, market_weights=None) -> Story:
    """The story of ``results`` (see the module docstring). ``fits``: group key → the
    PLS result of that unit (for the index and importance draws); ``market_weights``:
    the study's ``report.market_weights``."""
    x = _Ctx(results, fits)
    levels = {c.item: list(c.levels) for c in results.comparisons}
    shares = market_shares(market_weights, levels)
    scorecard = _scorecard(x, shares) if x.sat and x.index(x.scope) is not None else None
    recs = _recommendations(x)
    position = _position(x, scorecard)
    # "no pair of groups differs" already says the highest and the lowest do not
    spread = None if position is not None and position.code.startswith("market_spread_nopair") \
        else _spread(x, scorecard)
    findings = [f for f in (position, spread, _pairs(x),
                            _gaps(x), *_scores(x), *_changes(x), _complaints(x),
                            *_drivers(x), _weakest(x), _segments(x))
                if f is not None]
    findings = _at_most(findings, MAX_FINDINGS)
    return Story(focus=x.focus, market=x.scope, item=x.item, construct=x.sat,
                 scorecard=scorecard, findings=findings, recommendations=recs,
                 more_levers=x.more_levers,
                 no_recommendation=_no_recommendation(x, recs))

