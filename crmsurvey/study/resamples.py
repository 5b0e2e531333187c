"""Enough bootstrap resamples for the adjusted intervals a study reports.

A percentile interval's limit is an order statistic of the draws: at tail level ``a``
the limit is the ``ceil(a·B/2)``-th draw from the end, so with too few resamples it
rests on a handful of draws (500 resamples and Bonferroni over 3 pairs, ``a = .0167``,
leave about 4). The rule here: at least :data:`~crmsurvey._stats.MIN_TAIL_DRAWS` draws
beyond each limit at the smallest level any comparison uses, ``B · a / 2 ≥ 20`` with
``a = alpha / m`` (Bonferroni over m pairs; the first step of Holm over m groups).
Twenty brands with a client: 19 pairs (15,200 resamples) and Holm over 20 wave changes
(16,000); their other 171 pairs are z tests, which need no tail draws.

A study that leaves ``pls.bootstrap`` at its default gets the resamples it needs; one
that sets fewer is refused at the line of ``pls.bootstrap``, naming the number needed.
The rule applies wherever groups or waves are compared, a single pair included (m = 1:
800 resamples for 95 % intervals); a study accepts fewer draws only by saying so
(``pls.tail_draws``, recorded as the policy's ``tail_draws`` and stated in the report).
A study that compares nothing has only the PLS model's own intervals: resamples that
leave fewer than 20 draws beyond those limits (``B · (1 − ci)/2 < 20``) get a
``few_resamples`` warning.
"""
from __future__ import annotations

from dataclasses import replace
from .._stats import resamples_needed
from ..errors import InputError
from .limits import max_resamples
from .load import Study
from .results import Diagnostic, Group, Multiplicity, group_key

__all__ = ["family_sizes", "checked_resamples", "few_resamples"]


def family_sizes(study: Study, groups: list[Group], scope: Group, wave_item: str | None,
                 current: str | None, previous: str | None) -> tuple[int, int]:
    """The largest family of pairwise comparisons with percentile intervals (pairs of
    levels of one group item in the headline ``scope``; for many levels the client
    against each competitor, and none without a client — those pairs are z tests, see
    :func:`~.contrasts.families`) and of wave changes (groups of one group item present
    in both the current and the previous wave; the whole sample's change is one)."""
    from .contrasts import families

    d = study.definition
    pairs = 0
    for item in [g for g in d.groups if g != d.waves]:
        members = [g for g in groups if item in g
                   and {k: v for k, v in g.items() if k != item} == scope]
        pairs = max(pairs, len(families(members, item, d.report.client_group)[0]))
    changes = 0
    if wave_item and previous is not None:
        keys = {group_key(g) for g in groups}
        families: dict[tuple, int] = {}
        for g in groups:
            if g.get(wave_item) == current and group_key({**g, wave_item: previous}) in keys:
                family = tuple(sorted(k for k in g if k != wave_item))
                families[family] = families.get(family, 0) + 1
        changes = max(families.values(), default=0)
    return pairs, changes


def checked_resamples(study: Study, pairs: int, changes: int, policy: Multiplicity,
                      scope: Group) -> tuple[Study, list[Diagnostic]]:
    """``study`` with enough PLS bootstrap resamples for its comparisons: the default
    raised (and an info diagnostic saying so), or an :class:`InputError` when the study
    sets fewer, naming the number needed."""
    d = study.definition
    m = max(pairs, changes)
    if d.pls is None or not d.pls.bootstrap:
        return study, []
    if m < 1:  # nothing compared: the model's own intervals only
        return study, few_resamples(d.pls.bootstrap, getattr(d.pls, "ci", 0.95),
                                     policy.tail_draws, scope)
    needed = resamples_needed(policy.alpha, m, tail=policy.tail_draws)
    have = d.pls.bootstrap
    if have >= needed:
        return study, []
    if pairs >= changes:
        what = "one pairwise comparison" if pairs == 1 else f"{pairs} pairwise comparisons"
    else:
        what = ("the change since the previous wave" if changes == 1
                else f"Holm's first step over {changes} wave changes")
    level = 100 * (1 - policy.alpha / m)
    if needed > max_resamples():
        raise study.error(f"pls.bootstrap: the {level:.1f}% intervals of {what} need "
                          f"{needed:,} resamples ({policy.tail_draws} draws beyond each "
                          f"limit: B·α/(2m) ≥ {policy.tail_draws}), more than the limit "
                          f"of {max_resamples():,}", ("pls", "bootstrap"),
                          hint="compare fewer groups (or raise CRMSURVEY_MAX_RESAMPLES)")
    if "bootstrap" in d.pls.model_fields_set:
        tail = have * policy.alpha / (2 * m)
        fewest = max(1, int(tail))
        raise study.error(f"pls.bootstrap: {have} resamples leave {tail:.1f} draws beyond "
                          f"each limit of the {level:.1f}% intervals of {what}; at least "
                          f"{needed} are needed ({policy.tail_draws} beyond each limit: "
                          f"B·α/(2m) ≥ {policy.tail_draws})", ("pls", "bootstrap"),
                          hint=f"set pls.bootstrap: {needed} or more (0: no intervals), or "
                               f"accept fewer draws with pls.tail_draws: {fewest}")
    pls = d.pls.model_copy(update={"bootstrap": needed})
    study = replace(study, definition=d.model_copy(update={"pls": pls}))
    note = Diagnostic(code="resamples_raised", severity="info", concerns=[f"B = {needed}"],
                      group=scope, params={"default": have, "needed": needed, "level": level,
                                           "tail": policy.tail_draws},
                      message=f"bootstrap resamples raised from the default {have} to "
                              f"{needed}: the {level:.1f}% intervals of {what} need "
                              f"{policy.tail_draws} draws beyond each limit")
    return study, [note]


def few_resamples(boot: int, ci: float, tail: int, scope: Group) -> list[Diagnostic]:
    """A ``few_resamples`` warning when fewer than ``tail`` draws lie beyond each limit
    of the study's unadjusted percentile intervals (``B · (1 − ci) / 2 < tail``: 800
    resamples for 95 % intervals), naming the draws left and the number needed."""
    beyond = boot * (1 - ci) / 2
    if beyond >= tail - 1e-9:
        return []
    needed = resamples_needed(1 - ci, tail=tail)
    return [Diagnostic(
        code="few_resamples", severity="warning",
        concerns=[f"B = {boot}"], group=scope,
        params={"resamples": boot, "beyond": beyond, "level": 100 * ci, "needed": needed,
                "tail": tail},
        message=f"{boot} bootstrap resamples leave {beyond:g} draws beyond each limit of "
                f"the {100 * ci:g}% percentile intervals; {needed} or more leave the "
                f"{tail} a limit needs (set pls.bootstrap)")]

