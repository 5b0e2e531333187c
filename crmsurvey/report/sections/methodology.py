"""The methodology and appendix: screening, weights, the survey design, the PLS,
CB-SEM and comparison settings, multiplicity, missing data by model, diagnostics,
fieldwork and the questionnaire."""
from __future__ import annotations

from ..._format import date as format_date
from ..._format import num, shown_difference
from ...notes import note_text
from ...study.results import Group, Results, group_key
from ..filters import pval, text_in
from ..i18n import diagnostic_text
from .common import Names, measured_by, waves_compared, within

__all__ = ["method_context", "p_values_text", "pls_missing", "poisson_text"]


def pls_missing(p: dict, t: dict, one: bool, *, groups: bool = True,
                waves: bool = False) -> str:
    """How the PLS models handled missing answers, as the study's ``pls.missing`` says:
    the mean is taken within the respondents of each model fitted — one model: in the
    whole sample; waves without groups: within each wave; groups (and waves): within
    each group (of each wave)."""
    if p.get("missing", "mean") == "listwise":
        return t["pls_missing_listwise"]
    if one:
        return t["pls_missing_mean_one"]
    if not groups:
        return t["pls_missing_mean_wave" if waves else "pls_missing_mean_one"]
    return t["pls_missing_mean_group_wave" if waves else "pls_missing_mean"]


def _handling(x, t: dict, lang: str) -> str:
    """A disclosure's missing-data method, and why rows were dropped when that is not the
    method itself (rows with a zero sampling weight)."""
    method = note_text({"code": f"missing_{x.missing_method}"}, lang)
    if not x.dropped or x.dropped_reason in (None, x.missing_method):
        return method
    return t["handling_dropped"].format(method=method, reason=note_text(
        {"code": f"dropped_{x.dropped_reason}"}, lang))


def margin_of_error(lower: float, upper: float, digits: int = 1) -> str:
    """The ± of an interval printed with ``digits`` decimals: half the width a reader
    works out from its printed limits (:func:`crmsurvey._format.shown_difference`), with
    one more decimal where that half needs it, so ± equals half the printed interval.

    >>> margin_of_error(73.36, 76.64), margin_of_error(73.46, 76.64)  # [73.4, 76.6], [73.5, 76.6]
    ('1.6', '1.55')
    """
    half = shown_difference(upper, lower, digits) / 2
    exact = round(half, digits) == half
    return num(half, digits if exact else digits + 1)


def _note(note, names: Names, lang: str) -> str:
    """A note (skip reason, loader note) in the report's language, its constructs named as
    the questionnaire names them."""
    params = dict(note.params)
    if "constructs" in params:
        params["constructs"] = [names[c] for c in params["constructs"]]
    return note_text({"code": note.code, "params": params}, lang)


def poisson_text(results, p: dict, t: dict) -> str:
    """The sentence on the Poisson bootstrap, where a model was resampled by it."""
    kinds = [(m.settings or {}).get("resampling", "multinomial") for m in results.models]
    if not p.get("bootstrap") or "poisson" not in kinds:
        return ""
    return t["pls_poisson_all" if all(k == "poisson" for k in kinds) else "pls_poisson"]


def p_values_text(p: dict, t: dict) -> str:
    """Which test gives which p-value, and the one floor every bootstrap p is printed
    against (1/B), where the model was bootstrapped."""
    boot = p.get("bootstrap")
    return " " + t["p_values_text"].format(boot=boot, floor=pval(1 / boot, 1 / boot)
                                           .removeprefix("< ")) if boot else ""


def p_floors_text(results: Results, t: dict) -> str:
    """The floors of the adjusted bootstrap p-values the report prints: Bonferroni over
    the pairs of the group comparisons (``m/B``) and Holm over the groups' changes since
    the previous wave (between ``1/B`` and ``m/B`` by step), each where it is shown."""
    boot = (results.settings.pls or {}).get("bootstrap")
    if not boot:
        return ""

    def floor(m: int) -> str:
        return pval(m / boot, m / boot).removeprefix("< ")
    out = ""
    pairs = [d for c in results.comparisons for d in c.differences
             if d.quantity == "index" and d.p_resolution is not None and d.m > 1]
    if pairs:
        m = max(d.m for d in pairs)
        out += t["p_floor_groups"].format(m=m, boot=boot, floor=floor(m))
    tr = results.trend
    changes = [d for d in (tr.changes if tr is not None else [])
               if d.quantity == "index" and d.p_resolution is not None and d.m > 1]
    if changes:
        m = max(d.m for d in changes)
        out += t["p_floor_changes"].format(m=m, boot=boot, floor=floor(m))
    return out


def tail_draws(results: Results, boot: int | None) -> int | None:
    """The fewest draws beyond a limit of any percentile interval of a difference the
    report shows (groups and wave changes): ``⌊B·(1 − level)/2⌋`` at the highest level
    printed (a Bonferroni-adjusted 98.3 % interval leaves fewer draws in its tails than
    an unadjusted 95 % one); None without such intervals."""
    tr = results.trend
    diffs = [d for c in results.comparisons for d in c.differences] + (
        list(tr.changes) if tr is not None else [])
    levels = [d.ci_level for d in diffs if d.quantity == "index" and d.test != "z"
              and d.ci_lower is not None]
    if not boot or not levels:
        return None
    return int(boot * (1 - max(levels)) / 2 + 1e-9)


def resamples_text(results: Results, boot: int | None, t: dict) -> str:
    """How many draws the comparisons' bootstrap limits rest on — the count there is, not
    the policy's — and, where the study accepted fewer than the default 20
    (``pls.tail_draws``), that it chose so."""
    tail = tail_draws(results, boot)
    if tail is None:
        return ""
    chosen = results.settings.multiplicity.tail_draws
    default = type(results.settings.multiplicity).model_fields["tail_draws"].default
    return t["resamples_text2"].format(tail=tail, boot=boot) + (
        t["resamples_chosen"].format(tail=chosen, default=default) if chosen < default
        else "")


def _design_text(results: Results, t: dict) -> list[str]:
    """How standard errors were computed (results.uncertainty), in sentences the data
    license: the design only when there is one, re-raking only when it was done."""
    u = results.uncertainty
    if u is None:
        return []
    parts = []
    if u.cluster and u.strata:
        parts.append(t["design_both"].format(clusters=u.n_clusters, cluster=u.cluster,
                                             strata=u.n_strata, strata_item=u.strata))
    elif u.cluster:
        parts.append(t["design_clusters"].format(clusters=u.n_clusters, cluster=u.cluster))
    elif u.strata:
        parts.append(t["design_strata"].format(strata=u.n_strata, strata_item=u.strata))
    if u.scores == "taylor":
        parts.append(t["scores_taylor"])
    elif u.scores == "replicates":
        parts.append(t["scores_replicates"].format(replicates=u.replicates))
    else:
        weighted = results.settings.weight or results.weighting is not None
        csat = "" if any(x.measure == "csat" for x in results.scores) else "_nocsat"
        parts.append(t[("scores_kish_weighted" if weighted else "scores_kish") + csat])
    if u.resampling == "cluster":
        parts.append(t["boot_cluster"])
    elif u.resampling == "rerake":
        parts.append(t["boot_rerake_cluster" if u.cluster else "boot_rerake"])
    if u.lonely:
        parts.append(t["design_lonely"].format(strata=", ".join(u.lonely)))
    return parts


def _invariance_text(results: Results, t: dict, names: Names | None = None) -> str:
    """The CB-SEM invariance tests, where the study ran them, and their estimator (the
    study's ``compare: invariance_estimator``) where a group item got its table."""
    invs = [c.invariance for c in results.comparisons if c.invariance is not None]
    if not invs:
        return ""
    estimator = (results.settings.compare or {}).get("invariance_estimator")
    fitted = estimator and any(inv.get("table") for inv in invs)
    # ML: the whole model; MLM, MLR: the measurement model (crmsurvey.study.compare)
    key = "comparison_invariance_estimator" + ("" if estimator == "ML" else "_cfa")
    return t["comparison_cbsem"] + (t[key].format(estimator=t[f"estimator_{estimator}"])
                                    if fitted else "") + _invariance_micom(results, names, t)


def _invariance_micom(results: Results, names: Names | None, t: dict) -> str:
    """Where a group item has both CB-SEM's invariance table and MICOM: one sentence that
    the two test different things (the common-factor model with the groups pooled in one
    fit; the composites pair by pair) and that MICOM governs the index differences (a
    pair it does not establish is not warranted, ``Difference.warranted``) — naming the
    constructs and pairs where scalar invariance is supported and MICOM is not."""
    both = [c for c in results.comparisons if c.micom and c.invariance
            and c.invariance.get("table") and not c.invariance.get("error")]
    if not both or names is None:
        return ""
    split = []
    for c in both:
        scalar = next((r for r in c.invariance["table"] if r.get("model") == "scalar"), None)
        if scalar is None or scalar.get("decision") != "supported":
            continue
        split += [names[r["construct"]] + t["list_paren"].format(
            items=f"{names.group(r['group_a'])} – {names.group(r['group_b'])}")
            for r in c.micom if r.get("invariance") == "none"
            and not measured_by(results.model, r["construct"])]
    if split:
        return t["invariance_micom_differ"].format(pairs=t["list_sep"].join(split))
    return t["invariance_micom"]


def method_context(results: Results, names: Names, t: dict, level: str, lang: str) -> dict:
    """The methodology's sentences and the appendix's tables (disclosures, diagnostics,
    skipped groups, fieldwork, questionnaire)."""
    s = results.settings
    p = s.pls or {}
    disclosures = [m.disclosure for m in results.models]
    if results.cbsem is not None and results.cbsem.disclosure is not None:
        disclosures.append(results.cbsem.disclosure)
    def glabel(group: Group) -> str:
        """A group named in full; the whole sample of one wave is "All respondents ·
        2026", not the bare wave."""
        text = names.group(group, {})
        return f"{t['all']} · {text}" if s.waves and set(group) == {s.waves} else text
    # a group left out of a comparison (group_too_small) by its level's display name,
    # where one group item is compared (a level code alone does not say which item's)
    compared = [g for g in s.groups if g != s.waves]
    levels = {v: names.level(compared[0], v) for v in names.levels.get(compared[0], {})} \
        if len(compared) == 1 else {}

    rows = [dict(x.model_dump(), label=glabel(x.group),
                 model_name=t["col_pls"] if x.model == "pls" else t["col_cbsem"],
                 method=_handling(x, t, lang)) for x in disclosures]
    sm = results.sample.set_missing
    fw = results.study.fieldwork or {}
    fieldwork = [(t[f"fw_{k}"], text_in(v, lang) if isinstance(v, dict) else
                  (f"{v:g}%" if k == "response_rate" else
                   format_date(v) if k in ("start", "end") else str(v)))
                 for k, v in fw.items() if v is not None]
    head = results.index_of(results.headline.group, next(
        (c for c in results.model.index_constructs if "sat" in c.lower()),
        (results.model.index_constructs or [""])[0]))
    return {
        "screening_text": t["screening_text"].format(rules=t["list_sep"].join(
            t[f"rule_{r}"] for r in s.exclude)) if s.exclude else t["no_exclusion"],
        "screening_notes": [note_text(n, lang) for n in s.screening_notes],
        "weight_text": t["weight_raked"] if results.weighting is not None else
        t["weight_text"].format(weight=s.weight) if s.weight else t["no_weight"],
        "design_text": _design_text(results, t),
        "pls_text": t["pls_settings"].format(scheme=t.get(f"scheme_{p.get('scheme')}",
                                                          p.get("scheme", "path")),
                                             boot=p.get("bootstrap", 0), seed=p.get("seed"),
                                             level=level, missing=pls_missing(
                                                 p, t, len(results.models) <= 1,
                                                 groups=bool(s.groups), waves=bool(s.waves)))
        + poisson_text(results, p, t) + p_values_text(p, t)
        if p else "",
        # the comparisons the study ran, no more (no paths: no permutation; no MICOM)
        "comparison_method_key": "comparison_method"
        if any(c.paths or c.micom for c in results.comparisons)
        else "comparison_method_indices",
        "comparison_cbsem_text": _invariance_text(results, t, names),
        "cb_text": t["cb_settings_fiml" if (results.cbsem is not None and
                      (results.cbsem.settings or {}).get("missing") == "fiml")
                      else "cb_settings"].format(estimator=t.get(
            f"estimator_{(s.cbsem or {}).get('estimator', 'ML')}",
            (s.cbsem or {}).get("estimator", "ML"))) + (
            # said once here; the CB-SEM page prints its problems only where there are some
            t["cb_no_problems"] if results.cbsem is not None and not results.cbsem.error
            and not results.cbsem.diagnostics else "") if s.cbsem else "",
        # the sample's tiles count the rows of every wave together: say so where there
        # are waves
        "sample_scope": t["kpi_all_waves"] if s.waves else "",
        # MICOM's sentence only where MICOM was run
        "multiplicity_text": t["multiplicity_text" if any(c.micom for c in results.comparisons)
                               else "multiplicity_text_nomicom"].format(
            alpha=s.multiplicity.alpha) + (
            # groups compared without MICOM: invariance was not assessed (one sentence)
            t["sentence_sep"] + t["micom_not_run"]
            if any(len(c.levels) >= 2 for c in results.comparisons)
            and not any(c.micom for c in results.comparisons) else "") + (
            resamples_text(results, p.get("bootstrap"), t)) + p_floors_text(results, t) + (
            t["resamples_compare"].format(perm=s.compare.get("permutations"),
                                          boot=s.compare.get("bootstrap"))
            if s.compare and any(c.paths or c.micom for c in results.comparisons)
            else "") + "".join(
            t["multiplicity_client" if c.reference else "multiplicity_many"].format(
                many=s.multiplicity.many_groups, k=len(c.levels) - 1, file=names.workbook,
                m=len({(group_key(d.group_a), group_key(d.group_b))
                       for d in c.all_pairs or c.differences}))
            for c in results.comparisons if len(c.levels) > s.multiplicity.many_groups),
        # the table holds the group items' sizes in the current wave and the wave item's
        # per wave; with no group item it holds only the waves
        "group_sizes_note": (t["group_sizes_wave"] if s.groups else t["group_sizes_waves_only"])
        .format(wave=s.current_wave) if s.current_wave and waves_compared(results) else "",
        "waves_text": t["waves_text" if s.groups else "waves_text_one"].format(
            wave=s.current_wave) if s.current_wave and waves_compared(results) else "",
        "syntax": results.model.syntax,
        "disclosures": [d for d, x in zip(rows, disclosures) if within(results, x.group)],
        "disclosures_other": [d for d, x in zip(rows, disclosures)
                              if not within(results, x.group)],
        "set_missing_text": t["set_missing"].format(items=t["list_sep"].join(
            f"{k} {v}" for k, v in sm.items())) if sm else t["no_set_missing"],
        "diagnostics": [{"label": glabel(x.group),
                         "message": diagnostic_text(x, lang, {**names.constructs, **levels}
                                                    if x.code == "group_too_small"
                                                    else names.constructs)}
                        for x in results.diagnostics],
        "fieldwork": fieldwork,
        "cover_date": format_date(s.created),  # the run's date, as the body writes dates
        "skipped": [{"label": names.group(x.group, {}), "n": x.n,
                     "reason": (why := _note(x.reason, names, lang)),
                     "text": t["skipped_entry"].format(group=names.group(x.group, {}), n=x.n,
                                                       reason=why)}
                    for x in results.skipped],
        "margin_text": t["margin_text"].format(construct=names[head.construct],
                                               margin=margin_of_error(head.ci_lower,
                                                                      head.ci_upper),
                                               level=level, n=head.n)
        if head is not None and head.ci_lower is not None else "",
        "questionnaire_items": [{"item": i, "question": names.question(i),
                                 "construct": names[v.construct] if v.construct
                                 else t["col_nps"] if v.role == "nps" else "–",
                                 "scale": t["binary_item"] if measured_by(
                                     results.model, v.construct) == "binary"
                                 else f"{v.min:g}–{v.max:g}"}
                                for i, v in results.model.items.items() if v.min is not None]}
