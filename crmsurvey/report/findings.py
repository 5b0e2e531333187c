"""The executive summary rendered from the results' coded story
(:mod:`crmsurvey.study.story`): each finding's code names a ``finding:`` template of the
catalogue, filled with its parameters — numbers formatted as the body's tables print
them, each a link (``<a href="#id">``) to the body table it comes from, groups and
constructs by their display names. A finding whose preconditions do not hold in the
results is not printed. Also the body tables the summary points to: the scorecard, the
client's significant gaps and the recommended actions.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from .._catalogue import plural_form
from .._format import shown_difference
from ..study.results import Results, group_key
from ..study.story import holds
from .filters import num, pct
from .sections.common import left_out
from .i18n import and_list, sentences

__all__ = ["story_context", "level_text", "SHOWN"]

#: the summary names this many gaps on each side (and counts the rest, which the body's
#: tables list)
SHOWN = 3
#: recommendations covering fewer drivers than this say why (the issue asks for 3–5)
FEW = 3


def level_text(level: float) -> str:
    """An interval's level as the report prints it, in the locale's percent format:
    ``95%``, ``98.3%`` (one decimal where it has one).

    >>> level_text(0.95), level_text(0.983333)
    ('95%', '98.3%')
    """
    v = round(100 * level, 1)
    return pct(v, 0 if v == round(v) else 1)


class _Render:
    def __init__(self, results: Results, names, t: dict, rule):
        self.r, self.names, self.t, self.rule = results, names, t, rule
        self.s = sentences(names.lang)
        self.scope = results.headline.group

    # --- pieces -----------------------------------------------------------------------
    @staticmethod
    def link(text: str, ref: str) -> Markup:
        return Markup('<a class="ref" href="#{}">{}</a>').format(ref, text)

    def n(self, v, ref: str, digits: int = 1, magnitude: bool = False) -> Markup | str:
        if v is None:
            return "–"
        return self.link(num(abs(v) if magnitude else v, digits), ref)

    def diff(self, a, b, ref: str, magnitude: bool = False) -> Markup | str:
        """``a − b`` as printed beside its two figures: the difference of the rounded
        figures (:func:`crmsurvey._format.shown_difference`)."""
        return self.n(shown_difference(a, b), ref, magnitude=magnitude)

    def group(self, g) -> str:
        return self.s["everyone"] if g == self.scope else self.names.group(g)

    @staticmethod
    def level(level: float) -> Markup:
        return Markup('<span class="level">{}</span>').format(level_text(level))

    def when(self, wave) -> str:
        return self.s["when"].format(wave=wave) if wave else ""

    def what(self, quantity: str, name: str) -> str:
        if quantity == "index":
            return self.s["what_index"].format(construct=self.names[name])
        if quantity == "csat":
            return self.s["what_csat"].format(rule=self.rule(name))
        return self.s["what_nps"]

    def sentence(self, key: str, **params) -> Markup:
        out = Markup(escape(plural_form(self.s[key], params))).format(**params)
        text = str(out)
        return Markup(text[:1].upper() + text[1:])

    def listed(self, parts: list, more: int = 0, clause: bool = False) -> Markup:
        """``a, b and c``; ``a, b, c and 4 more`` when ``more`` are left unnamed.
        ``clause``: the parts are clauses with their own commas (zh: joined by "；")."""
        tail = "_clause" if clause else ""
        sep = Markup(escape(self.t["list_sep" + tail]))
        if more:
            return Markup(escape(self.s["and_more" + tail])).format(names=sep.join(parts),
                                                                    k=more)
        if len(parts) < 2:
            return sep.join(parts)
        return Markup(escape(self.t["list_and" + tail])).format(items=sep.join(parts[:-1]),
                                                               last=parts[-1])

    def rank_of(self, group, n: int) -> str:
        """The groups a rank is among: ``n``, with the kind of group where the study
        names the one group item that tells them apart (zh: "20个品牌")."""
        items = [k for k, v in group.items() if self.scope.get(k) != v]
        if len(items) == 1 and items[0] in self.names.group_names:
            return self.s["rank_of_named"].format(n=n, kind=self.names.group_name(items[0]))
        return self.s["rank_of"].format(n=n)

    def comparisons_shown(self) -> bool:
        """Is the group comparisons section (with its full pair tables) in the report?"""
        return "comparisons" in (self.r.study.sections or ()) and bool(self.r.comparisons)

    def lead_untold(self, p: dict) -> Markup | str:
        """The client ranked ahead of the next group by a difference that is not
        significant (the stored, tested difference of the pair): say the data cannot
        tell the lead from zero. Only where the pair table that prints it is shown."""
        card = self.r.story.scorecard
        rows = card.rows if card is not None else []
        nxt = next((x for x in rows if x.rank == p["rank"] + 1), None)
        if nxt is None or not self.comparisons_shown():
            return ""
        pair = {group_key(p["group"]), group_key(nxt.group)}
        d = next((d for c in self.r.comparisons for d in c.differences
                  if d.quantity == "index" and d.name == p["construct"]
                  and {group_key(d.group_a), group_key(d.group_b)} == pair), None)
        if d is None or d.significant or d.ci_lower is None:
            return ""
        mine = d.value_a if group_key(d.group_a) == group_key(p["group"]) else d.value_b
        other = d.value_b if mine is d.value_a else d.value_a
        return self.sentence("lead_untold", group=self.group(p["group"]),
                             other=self.group(nxt.group),
                             lead=self.diff(mine, other, "index-differences", magnitude=True))

    # --- findings ---------------------------------------------------------------------
    def finding(self, f) -> Markup | None:
        p, code = f.params, f.code
        if code.startswith(("client_position", "market_position", "market_spread")):
            ref = "scorecard"
            extra = {}
            if code.startswith("client_position"):
                extra = dict(group=self.group(p["group"]), rank=p["rank"],
                             of=self.rank_of(p["group"], p["of"]),
                             market=self.n(p["market"], ref),
                             market_name=self.s["market_weighted" if p["weighted"]
                                                else "market_plain"])
            if code.startswith("market_spread"):
                extra = dict(top=self.group(p["top"]), low=self.group(p["low"]),
                             top_value=self.n(p["top_value"], ref),
                             low_value=self.n(p["low_value"], ref))
            out = self.sentence(code, when=self.when(p["wave"]),
                                construct=self.names[p["construct"]],
                                value=self.n(p["value"], ref), level=self.level(p["level"]),
                                lo=self.n(p["ci_lower"], ref), hi=self.n(p["ci_upper"], ref),
                                **extra)
            # the range covers the groups the scorecard shows: say which it leaves out
            note = left_out(self.r, self.names, self.t) if code.startswith("market_spread") \
                else self.lead_untold(p) if code.startswith("client_position") else ""
            return Markup(escape(self.t["sentence_sep"])).join([out, note]) if note else out
        if code.startswith("spread_"):
            ref = "index-differences"
            return self.sentence(code, construct=self.names[p["construct"]],
                                 top=self.group(p["top"]), low=self.group(p["low"]),
                                 gap=self.spread_gap(p, ref), lo=self.n(p.get("gap_lower"), ref),
                                 hi=self.n(p.get("gap_upper"), ref))
        if code.startswith("gaps_"):
            group = self.group(p["group"])
            if code == "gaps_none":
                return self.sentence(code, group=group)
            return self.gaps(group, p)
        if code == "pairs_significant":
            if not self.comparisons_shown():  # the pairs it counts are in no table
                return None
            e = p["entries"]
            return self.sentence(code, m=p["tested"], n=len(e),
                                 entries=self.listed([self.pair(x) for x in e[:SHOWN]],
                                                     max(0, len(e) - SHOWN), clause=True))
        if code == "segments_differ":
            e = p["entries"]
            return self.sentence(code, k=p["k"], entries=self.listed(
                [self.segment(x) for x in e[:SHOWN]], max(0, len(e) - SHOWN), clause=True))
        if code.startswith(("nps_", "csat_")):
            return self.score(code, p)
        if code.startswith("change_"):
            return self.change(code, p)
        if code == "driver_weakest":
            ref = "index-differences" if self.comparisons_shown() else "indices"
            return self.sentence(code, driver=self.names[p["driver"]], low=self.group(p["low"]),
                                 high=self.group(p["high"]),
                                 low_value=self.n(p["low_value"], ref),
                                 high_value=self.n(p["high_value"], ref),
                                 gap=self.diff(p["high_value"], p["low_value"], ref),
                                 lo=self.n(p["gap_lower"], ref), hi=self.n(p["gap_upper"], ref))
        if code.startswith("driver"):
            return self.driver(code, p)
        if code.startswith("complaints_"):
            return self.complaints(code, p)
        return None

    def gaps(self, group: str, p: dict) -> Markup:
        """The client's significant gaps: strengths and deficits on the constructs it can
        act on, and — said apart — those on context (customer expectations), which are
        neither a strength nor a weakness."""
        context = set(self.r.model.context)
        lever = {k: [e for e in p[k] if e["construct"] not in context]
                 for k in ("behind", "ahead")}
        # deficits and leads both said: two of each, so that the sentence stays short
        shown = SHOWN - 1 if lever["behind"] and lever["ahead"] else SHOWN
        entries = {k: self.listed([self.gap(e) for e in v[:shown]],
                                  max(0, len(v) - shown), clause=True)
                   for k, v in lever.items()}
        out = []
        if lever["behind"] and lever["ahead"]:
            out.append(self.sentence("gaps_mixed", group=group, **entries))
        elif lever["behind"] or lever["ahead"]:
            k = "behind" if lever["behind"] else "ahead"
            out.append(self.sentence("gaps_" + k, group=group, entries=entries[k]))
        said = [e for k in ("behind", "ahead") for e in p[k] if e["construct"] in context]
        if said:
            # by construct and direction, largest first; an entry that goes on where
            # the one before left off names only the other group ("... and less than
            # Brand D's (...)"), not the client's customers and the construct again
            def key(e: dict) -> tuple[str, str]:
                return e["construct"], "less" if e in p["behind"] else "more"

            largest: dict = {}
            for e in said:
                largest[key(e)] = max(largest.get(key(e), 0), e["gap"])
            said.sort(key=lambda e: (-largest[key(e)], key(e), -e["gap"]))
            shown = said[:SHOWN]
            out.append(self.sentence("gaps_context", entries=self.listed(
                [self.gap(e, f"context_{key(e)[1]}"
                          + ("_also" if k and key(shown[k - 1]) == key(e) else ""))
                 for k, e in enumerate(shown)], len(said) - len(shown), clause=True)))
        return Markup(escape(self.t["sentence_sep"])).join(out)

    def complaints(self, code: str, p: dict) -> Markup:
        """Complainers' loyalty against the others', as the complaints page says it: the
        printed figures' difference, the interval as the table prints it (complainers −
        others)."""
        ref = "complaints"
        lo, hi = p["ci_lower"], p["ci_upper"]
        level = Markup(escape(self.s["level_adjusted"])) if p.get("adjusted") \
            else self.level(p["level"])
        # the whole sample's customers are simply "customers" (no group to name)
        code += "_all" if p["group"] == self.scope else ""
        return self.sentence(code, rate=self.link(pct(p["rate"]), ref),
                             group=self.group(p["group"]), loyalty=self.names[p["loyalty"]],
                             diff=self.diff(p["complainers"], p["others"], ref, magnitude=True),
                             level=level, lo=self.n(lo, ref), hi=self.n(hi, ref))

    def gap(self, e: dict, key: str = "gap_entry") -> Markup:
        ref = "gaps"
        return self.sentence_part(key, construct=self.names[e["construct"]],
                                  group=self.group(self.r.story.focus),
                                  other=self.group(e["other"]), value=self.n(e["value"], ref),
                                  other_value=self.n(e["other_value"], ref),
                                  gap=self.diff(e["value"], e["other_value"], ref,
                                                magnitude=True),
                                  lo=self.n(e["gap_lower"], ref),
                                  hi=self.n(e["gap_upper"], ref))

    def spread_gap(self, p: dict, ref: str) -> Markup | str:
        """The gap between the highest and the lowest group as the scorecard and the
        index-differences table print it: their printed indices' difference."""
        top, low = (self.r.index_of(p[k], p["construct"]) for k in ("top", "low"))
        if top is None or low is None:
            return self.n(p.get("gap"), ref)
        return self.diff(top.index, low.index, ref)

    def pair(self, e: dict) -> Markup:
        ref = "index-differences"
        return self.sentence_part("pair_entry", construct=self.names[e["construct"]],
                                  high=self.group(e["high"]), low=self.group(e["low"]),
                                  high_value=self.n(e["high_value"], ref),
                                  low_value=self.n(e["low_value"], ref),
                                  gap=self.diff(e["high_value"], e["low_value"], ref,
                                                magnitude=True),
                                  lo=self.n(e["gap_lower"], ref),
                                  hi=self.n(e["gap_upper"], ref))

    def segment(self, e: dict) -> Markup:
        """A segment's index against the other respondents', as the segment page's table
        of differences prints it."""
        return self.sentence_part(
            "segment_higher" if e["diff"] > 0 else "segment_lower",
            label=self.t["seg_label"].format(k=e["segment"]), share=pct(100 * e["share"], 0),
            construct=self.names[e["construct"]],
            diff=self.n(e["diff"], "segment-contrasts", magnitude=True))

    def sentence_part(self, key: str, **params) -> Markup:
        return Markup(escape(plural_form(self.s[key], params))).format(**params)

    def score(self, code: str, p: dict) -> Markup:
        measure = p["measure"]
        table, diffs = f"{measure}-table", f"{measure}-differences"
        show = (lambda v: self.link(pct(v), table) if v is not None else "–") \
            if measure == "csat" else (lambda v: self.n(v, table))
        # a CSAT's interval in percent, as its value (the CSAT table's "24.1%")
        params = dict(group=self.group(p["group"]), value=show(p["value"]),
                      level=self.level(p["level"]), lo=show(p["ci_lower"]),
                      hi=show(p["ci_upper"]))
        if measure == "csat":
            params["rule"] = self.rule(p["item"])
        if "best" in p:
            params.update(best=self.group(p["best"]), best_value=show(p["best_value"]))
        if "gap" in p:
            # the interval as the body's row prints it: its pair, in its direction
            a, b = p.get("pair_a", p["group"]), p.get("pair_b", p["best"])
            lo, hi = (p["pair_lower"], p["pair_upper"]) if "pair_a" in p \
                else sorted((-p["gap_upper"], -p["gap_lower"]) if code.endswith(
                    ("_similar", "_behind")) and "ahead" not in code
                    else (p["gap_lower"], p["gap_upper"]))
            params.update(gap=self.diff(p["best_value"], p["value"], diffs, magnitude=True),
                          pair=f"{self.names.group(a)} – {self.names.group(b)}",
                          gap_lo=self.n(lo, diffs), gap_hi=self.n(hi, diffs))
        return self.sentence(code, **params)

    def change(self, code: str, p: dict) -> Markup:
        ref = "changes"
        lo, hi = p["ci_lower"], p["ci_upper"]  # the change's, as the changes table prints it
        # an interval adjusted over the groups is called "adjusted", as the changes table
        # heads it (its level is that of its Holm step, which the body does not print)
        level = Markup(escape(self.s["level_adjusted"])) if p.get("adjusted") \
            else self.level(p["level"])
        out = self.sentence(code, previous=p["previous_wave"], group=self.group(p["group"]),
                            what=self.what(p["quantity"], p["name"]),
                            change=self.diff(p["after"], p["before"], ref,
                                             magnitude=not code.startswith("change_flat")),
                            before=self.n(p["before"], ref), after=self.n(p["after"], ref),
                            level=level, lo=self.n(lo, ref),
                            hi=self.n(hi, ref))
        # no MICOM caveat: the report shows no MICOM result between waves to license it
        return out

    def driver(self, code: str, p: dict) -> Markup:
        ref = "ipma-focus"
        if code == "drivers_none":
            return self.sentence(code, target=self.names[p["target"]],
                                 group=self.group(p["group"]))
        if code == "drivers_similar":
            return self.sentence(code, group=self.group(p["group"]),
                                 target=self.names[p["target"]],
                                 drivers=self.listed([self.names[c] for c in p["drivers"]]),
                                 first=self.names[p["first"]], second=self.names[p["second"]])
        extra = {"second": self.names[p["second"]]} if "second" in p else {}
        return self.sentence(code, group=self.group(p["group"]), driver=self.names[p["driver"]],
                             target=self.names[p["target"]],
                             importance=self.n(p["importance"], ref, 3),
                             effect=self.n(p["effect"], ref, 3), level=self.level(p["level"]),
                             lo=self.n(p["ci_lower"], ref, 3), hi=self.n(p["ci_upper"], ref, 3),
                             **extra)

    # --- recommendations --------------------------------------------------------------
    def few(self, story) -> Markup | str:
        """Why the recommendations cover fewer than :data:`FEW` drivers, where that is so:
        the drivers they cover are all the significant ones, or the others' questions do
        not meet the rule (never topped up). Nothing where the model has no other lever
        (one driver: the findings say it is the only one)."""
        recs = story.recommendations
        dr = self.r.drivers_of(story.focus)
        covered = list(dict.fromkeys(x.construct for x in recs))
        if not recs or len(covered) >= FEW or dr is None:
            return ""
        context = self.r.model.context
        if len([r for r in dr.constructs if r.actionable and r.construct not in context]) \
                <= len(covered):
            return ""
        levers = [c for c in dr.priorities if c not in self.r.model.context]
        params = dict(covered=self.listed([self.names[c] for c in covered]),
                      n=len(levers), target=self.names[dr.target])
        if len(covered) >= len(levers):
            return self.sentence("recs_all", **params)
        competitors = any(x.competitor is not None for x in recs)
        others = [c for c in levers if c not in covered]
        key = "recs_few" + ("_one" if len(others) == 1 else "") \
            + ("" if competitors else "_nocomp")
        # the drivers counted are those management can act on; one left is named
        return self.sentence(key, other=self.names[others[0]], **params)

    def lever_rule(self, story) -> Markup | str:
        """The recommendation rule in one sentence, by question, with the average the
        recommended questions are below (the IPMA map's averages are constructs')."""
        recs = story.recommendations
        if not recs or recs[0].average is None:
            return ""
        competitors = any(x.competitor is not None for x in recs)
        # the map's average lines are drawn with two drivers or more (charts.ipma_figure):
        # only then is there a construct average to set the question rule apart from
        dr = self.r.drivers_of(story.focus)
        drawn = dr is not None and len([r for r in dr.constructs if r.actionable]
                                       or dr.constructs) > 1
        key = ("recs_rule" if competitors else "recs_rule_nocomp") + ("" if drawn else "_nomap")
        return self.sentence(key, average=self.n(recs[0].average, "actions"))

    def context_left(self, story) -> Markup | str:
        """That a driver with a significant effect is left out as context (customer
        expectations), wherever one is (unless the note's no-recommendation sentence
        already says so)."""
        dr = self.r.drivers_of(story.focus)
        f = getattr(story, "no_recommendation", None)
        if dr is None or (f is not None and f.code == "recs_none_context"):
            return ""
        left = [c for c in dr.priorities if c in self.r.model.context]
        if not left:
            return ""
        return self.sentence("recs_context_one" if len(left) == 1 else "recs_context",
                             constructs=self.listed([self.names[c] for c in left]),
                             target=self.names[dr.target])

    def gap_unmet(self, story, shown: list) -> Markup | str:
        """Why the client's largest significant gap on a driver it can act on has no
        recommendation, where it has none: its effect is not significant for the client,
        or its questions miss the rule."""
        f = next((f for f in shown if f.code in ("gaps_behind", "gaps_mixed")), None)
        dr = self.r.drivers_of(story.focus)
        if f is None or dr is None:
            return ""
        # context was said apart in the gaps finding ("not a strength or a gap"): the
        # largest gap here is on a driver the client can act on
        drivers = {r.construct for r in dr.constructs if r.actionable} \
            - set(self.r.model.context)
        e = next((e for e in f.params["behind"] if e["construct"] in drivers), None)
        if e is None or e["construct"] in {x.construct for x in story.recommendations}:
            return ""
        c, ref = e["construct"], "gaps"
        key = "gap_no_rec_rule" if c in dr.priorities else "gap_no_rec_ns"
        return self.sentence(key, group=self.group(story.focus), construct=self.names[c],
                             value=self.n(e["value"], ref), other=self.group(e["other"]),
                             other_value=self.n(e["other_value"], ref),
                             target=self.names[dr.target])

    def none(self, story) -> Markup | str:
        """Why no question is recommended, where none is (the story's coded reason, its
        preconditions re-checked): no significant driver, only context, the focus at or
        above the best competitor on every lever question, or below it only on questions
        above the levers' average."""
        f = getattr(story, "no_recommendation", None)
        if f is None or not all(holds(self.r, req, f) for req in f.requires):
            return ""
        p = f.params
        params = dict(group=self.group(p["group"]), target=self.names[p["target"]])
        if "drivers" in p:
            params["drivers"] = self.listed([self.names[c] for c in p["drivers"]])
        if "questions" in p:
            quoted = Markup(escape(self.t["quoted"]))
            params["questions"] = self.listed([quoted.format(text=self.names.question(i))
                                               for i in p["questions"]])
        return self.sentence(f.code, **params)

    def impacts(self, rec) -> Markup:
        """What a rise in the lever's construct would do to each target, in one clause,
        every figure at one precision (:func:`impact_digits`)."""
        ref, out = "actions", Markup("")
        d = impact_digits(rec.impacts)
        for k, i in enumerate(rec.impacts):
            ci = i.ci_lower is not None
            key = ("impact" if k == 0 else "impact_more") + ("" if ci else "_noci")
            part = self.sentence_part(
                key, step=num(rec.step, 0), construct=self.names[rec.construct],
                what=self.what("index", i.target), value=self.n(i.value, ref, d),
                level=self.level(i.level), lo=self.n(i.ci_lower, ref, d),
                hi=self.n(i.ci_upper, ref, d))
            out = part if k == 0 else self.sentence_part("impact_join", first=out, next=part)
        return out

    def question(self, rec) -> Markup:
        ref = "actions"
        params = dict(question=self.names.question(rec.item),
                      performance=self.n(rec.performance, ref))
        if rec.competitor is None:
            return self.sentence_part("question_alone", **params)
        return self.sentence_part("question_vs", group=self.group(rec.group),
                                  competitor=self.group(rec.competitor),
                                  competitor_performance=self.n(rec.competitor_performance,
                                                                ref), **params)

    def recommendations(self, recs: list) -> list[Markup]:
        """One sentence per lever construct, naming its questions (the recommendations are
        stored per question; their impacts are the construct's)."""
        by: dict[str, list] = {}
        for rec in recs:
            by.setdefault(rec.construct, []).append(rec)
        return [self.sentence("recommend", construct=self.names[c],
                              # the questions are a list of names (zh "、"/"和"); the
                              # impact clause follows after the sentence's own "；"
                              questions=self.listed([self.question(x) for x in group]),
                              impacts=self.impacts(group[0]))
                for c, group in by.items()]


def story_context(results: Results, names, t: dict, rule) -> dict:
    """``findings`` and ``recommendations`` (sentences with links into the body) and the
    body tables they point to: ``scorecard``, ``gaps_table``, ``actions``. ``rule``:
    a CSAT item's rule as the body's CSAT table words it."""
    story = results.story
    if story is None:  # results written before the story existed
        return {"findings": [], "recommendations": [], "recommendations_note": "",
                "scorecard": None,
                "gaps_table": None, "actions": None}
    r = _Render(results, names, t, rule)
    shown = [f for f in story.findings
             if all(holds(results, req, f) for req in f.requires)]
    if r.comparisons_shown():  # else the pairs sentence is not printed: nothing repeats
        shown = [f for f in shown if not _said_before(f, shown)]
    return {"findings": [x for f in shown if (x := r.finding(f)) is not None],
            "recommendations": r.recommendations(story.recommendations),
            "recommendations_note": _note(r, story, shown, t),
            "scorecard": _scorecard(results, names, t, r),
            "gaps_table": _gaps_table(shown, names, t, r),
            "actions": _actions(results, names, t, r)}


def _said_before(f, shown: list) -> bool:
    """Is ``f`` (the weakest group on the strongest lever) one of the pairs the
    significant-pairs sentence already names (its first :data:`SHOWN` entries)? Then it
    would repeat that entry word for word."""
    if f.code != "driver_weakest":
        return False
    p = f.params
    return any(e["construct"] == p["driver"] and e["low"] == p["low"] and e["high"] == p["high"]
               for g in shown if g.code == "pairs_significant"
               for e in g.params["entries"][:SHOWN])


def _note(r: _Render, story, shown: list, t: dict) -> Markup:
    """The sentences under the recommendations: the rule by question, why there is none
    or few, the client's unmet gap, and a significant context driver left out."""
    parts = [x for x in (r.lever_rule(story), r.none(story), r.few(story),
                         r.gap_unmet(story, shown)) if x]
    parts.append(r.context_left(story))
    return Markup(escape(t["sentence_sep"])).join(x for x in parts if x)


def _scorecard(results: Results, names, t: dict, r: _Render) -> dict | None:
    card = results.story.scorecard
    if card is None:
        return None
    level = level_text(float((results.settings.pls or {}).get("ci") or 0.95))

    def row(x, label: str) -> dict:  # the change as printed beside this wave and last
        return dict(x.model_dump(), label=label, client=False,
                    change_shown=shown_difference(x.index, x.previous))
    weighted = card.weights is not None
    shares = t["list_sep"].join(
        t["share_item"].format(name=names.level(card.item, k), share=pct(100 * v))
        for k, v in (card.weights or {}).items())
    # market wording only where the groups are a market: a client among competitors, or
    # market shares given; else (regions of one chain) the row is all respondents
    market = weighted or results.study.client_group is not None
    note = (t["scorecard_note_weighted"].format(construct=names[card.construct], level=level,
                                                shares=shares) if weighted else
            t["scorecard_note_plain" if market else "scorecard_note_all"].format(
                construct=names[card.construct], level=level)) \
        if card.rows else t["scorecard_note_one"].format(level=level)
    if card.rows:  # ranks are point estimates: which of their differences are significant
        note = t["sentence_join"].format(first=note, next=_rank_note(results, card, names, t))
    changes = card.previous_wave is not None
    if changes:
        note = t["sentence_join"].format(first=note, next=t[
            "scorecard_note_change_plain" if card.rows else "scorecard_note_change_one"])
    if changes and any(x is not None and x.warranted is False
                       for x in [*card.rows, card.market, card.sample]):
        # a change MICOM between the waves does not warrant: shown, flagged, not counted
        note = t["sentence_join"].format(first=note, next=t["scorecard_note_dagger"].format(
            prev=card.previous_wave, cur=card.wave))
    return {"title": t["scorecard" if card.rows else "scorecard_one"].format(
                construct=names[card.construct]),
            "rows": [dict(row(x, names.group(x.group)), client=x.group == results.story.focus)
                     for x in card.rows],
            "market": row(card.market, t["market_row_weighted" if weighted else "market_row"]
                          if card.rows and market else t["all"]),
            "sample": [row(card.sample, t["market_row"])] if card.sample else [],
            "now": t["index_in"].format(wave=card.wave) if card.wave else t["index"],
            "before": t["index_in"].format(wave=card.previous_wave) if changes else "",
            "changes": changes, "ranked": bool(card.rows), "note": note}


def _rank_note(results: Results, card, names, t: dict) -> str:
    """The scorecard's ranks read as what they are: the order of the point estimates,
    with how many of the tested index differences between its groups are significant
    (the pairs MICOM warrants, as the group comparisons count them) — or that they were
    not tested."""
    comp = next((c for c in results.comparisons if c.item == card.item), None)
    tested = [d for d in (comp.differences if comp is not None else ())
              if d.quantity == "index" and d.name == card.construct
              and d.ci_lower is not None and d.warranted is not False]
    if not tested:
        return t["scorecard_rank_untested"]
    k = sum(bool(d.significant) for d in tested)
    note = t["scorecard_rank_none" if k == 0 else "scorecard_rank_one" if k == 1
             else "scorecard_rank_some"].format(
        construct=names[card.construct], k=k, m=len(tested))
    if comp.reference is not None:  # many groups: the client against each other one only
        note = t["sentence_sep"].join([note, t["scorecard_rank_client"].format(
            client=names.group({comp.item: comp.reference}))])
    # the pairs MICOM does not warrant were not tested: name them (4 groups, 6 pairs:
    # "of the 5 tested" says which one is missing)
    shown = {group_key(x.group) for x in card.rows}
    left = [d for d in comp.differences if d.quantity == "index" and d.name == card.construct
            and d.warranted is False and group_key(d.group_a) in shown
            and group_key(d.group_b) in shown]
    if not left:
        return note
    # a pair as the comparison tables print it ("East – West")
    pairs = and_list([f"{names.group(d.group_a)} – {names.group(d.group_b)}" for d in left], t)
    return t["sentence_sep"].join([note, t["scorecard_rank_unwarranted"].format(
        pairs=pairs, construct=names[card.construct], k=len(left))])


def _gaps_table(shown: list, names, t: dict, r: _Render) -> dict | None:
    f = next((f for f in shown if f.code in ("gaps_behind", "gaps_ahead", "gaps_mixed")), None)
    if f is None:
        return None
    # context (customer expectations) is neither a deficit nor a lead: its rows say
    # which group expects more, as the summary's context sentence does
    context = set(r.r.model.context)
    way = {("behind", False): "gap_behind", ("ahead", False): "gap_ahead",
           ("behind", True): "gap_expects_less", ("ahead", True): "gap_expects_more"}
    rows = [dict(e, way=t[way[k, e["construct"] in context]], label=names[e["construct"]],
                 gap_shown=abs(shown_difference(e["value"], e["other_value"])),
                 other_label=r.group(e["other"]))
            for k in ("behind", "ahead") for e in f.params[k]]
    # deficits, then leads, as the note says; expectations (context) after both
    rows.sort(key=lambda e: e["construct"] in context)
    return {"title": t["gaps_title"].format(group=r.group(f.params["group"])),
            "client": r.group(f.params["group"]), "rows": rows,
            # MICOM's exclusion rule only where MICOM ran for the client's comparison
            "note": t[("gaps_note" if r.comparisons_shown() else "gaps_note_nocomp")
                      + ("" if _micom_ran(r.r, f.params["group"]) else "_nomicom")].format(
                          file=names.workbook)}


def _micom_ran(results: Results, group) -> bool:
    """Did MICOM run for a comparison that splits the client's group?"""
    return any(c.micom and c.item in group for c in results.comparisons)


def _actions(results: Results, names, t: dict, r: _Render) -> dict | None:
    recs = results.story.recommendations
    if not recs:
        return None
    targets = list(dict.fromkeys(i.target for x in recs for i in x.impacts))
    level = level_text(recs[0].impacts[0].level) if recs[0].impacts else ""
    dr = results.drivers_of(results.story.focus)
    competitors = any(x.competitor is not None for x in recs)
    seen: set[str] = set()
    first = [not (x.construct in seen or seen.add(x.construct)) for x in recs]
    return {"title": t["actions_title"].format(group=r.group(results.story.focus)),
            "competitors": competitors, "average": recs[0].average,
            # "Impact on" spans the targets' columns: each headed by its index alone
            "targets": [t["impact_target"].format(construct=names[x]) for x in targets],
            "rows": [{"question": names.question(x.item), "item": x.item,
                      "label": names[x.construct], "performance": x.performance,
                      "competitor": r.group(x.competitor) if x.competitor else "",
                      "competitor_performance": x.competitor_performance,
                      # the construct's impact once, on its first question's row
                      "impacts": [_impact_cells(next((i for i in x.impacts if i.target == k),
                                                     None), impact_digits(x.impacts))
                                  if shown else ""
                                  for k in targets]} for x, shown in zip(recs, first)],
            "note": t["sentence_join"].format(
                first=t["actions_note_comp" if competitors else "actions_note_nocomp"].format(
                    target=names[dr.target] if dr else "", step=num(recs[0].step, 0),
                    level=level), next=t["actions_note_construct"])
            + "".join(t["sentence_sep"] + t["actions_note_context"].format(constructs=x)
                      for x in _context(results, dr, names, t)),
            # the cap, where it left questions out; the competitor's score is not a test
            "more": t["actions_more"].format(
                most=len(recs), k=len(results.story.more_levers),
                # each quoted: a comma inside a question's text is not a separator
                questions=t["list_sep"].join(t["quoted"].format(text=names.question(i))
                                             for i in results.story.more_levers))
            if results.story.more_levers else "",
            "untested": t["actions_untested"] if competitors else ""}


def _context(results: Results, dr, names, t: dict) -> list[str]:
    """The drivers left out of the recommendations as context (``lever: false``), named
    in one list (none: an empty list)."""
    shown = [c for c in results.model.context
             if dr is not None and any(r.construct == c for r in dr.constructs)]
    if not shown:
        return []
    names_ = [names[c] for c in shown]
    return [names_[0] if len(names_) == 1 else t["list_and"].format(
        items=t["list_sep"].join(names_[:-1]), last=names_[-1])]


def limit_digits(v, digits: int = 1, most: int = 3) -> int:
    """The decimals an interval limit needs to show its sign: ``digits``, or more (up to
    ``most``) where ``v`` would print as zero — an impact interval from 0.04 printed
    "0.0" would read as "possibly nothing".

    >>> limit_digits(0.04), limit_digits(-0.004), limit_digits(1.26), limit_digits(0.0)
    (2, 3, 1, 1)
    """
    if v is None or v != v or v == 0:
        return digits
    d = digits
    while d < most and round(abs(v), d) == 0:
        d += 1
    return d


def impact_digits(impacts) -> int:
    """One precision for a recommendation's impacts, values and limits alike: one
    decimal, or more where a limit would print as zero (:func:`limit_digits`).

    >>> from types import SimpleNamespace as I
    >>> impact_digits([I(ci_lower=0.04, ci_upper=1.26), I(ci_lower=0.3, ci_upper=0.9)])
    2
    """
    return max([1] + [limit_digits(v) for i in impacts if i is not None
                      for v in (i.ci_lower, i.ci_upper)])


def _impact_cells(i, d: int = 1) -> dict | None:
    """An impact as the actions table prints it: value and limits at one precision
    ``d`` (:func:`impact_digits` of the recommendation's impacts)."""
    if i is None:
        return None
    return {"value": num(i.value, d),
            "lo": None if i.ci_lower is None else num(i.ci_lower, d),
            "hi": None if i.ci_upper is None else num(i.ci_upper, d)}
