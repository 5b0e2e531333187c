"""Response exports of survey platforms whose headers are not item ids.

- **问卷星 (wjx.cn)**: ``序号`` (response number), ``提交答卷时间`` (submission time),
  ``所用时间`` (time taken, ``"125秒"``), then one column per question headed by its
  number and text — ``5、您对该品牌的满意程度`` — and matrix rows as ``5(子问题)``.
- **腾讯问卷 (wj.qq.com)**: ``编号``, ``开始答题时间``/``结束答题时间``, ``答题时长``, and
  question headers ``第5题：…``, ``5.…`` or ``Q5.…``.
- **LimeSurvey**: ``id``, ``submitdate``, ``startlanguage``, ``interviewtime``, and
  question codes (item ids without ``_``, see :mod:`crmsurvey.fielding.limesurvey`).

A numbered header is matched to the questionnaire's question of that number (questions
count as in the printed questionnaire: every item except id, duration and weight items and
group items without a scale), a matrix row to the item whose text it repeats; the
platform's id and duration columns to the items with those roles. Every column left
unmatched is listed.

Numbers are checked against texts: a header's text is compared with every question's
(exactly, after dropping spaces and punctuation; else the most similar text, ratio ≥ 0.6).
One header whose text fits no question is matched by its number and noted; so is one whose
text is like its question's but not the same (a reworded question: check that it asks the
same). When two or more headers' texts each name one *other* question (an extra question at the start of the
export shifts every number), the numbers are not trusted: if every such header's text is
exactly one question's text and no question is named twice, the columns are matched by text
and a note says so; otherwise it is an InputError naming the mapping the texts suggest.
"""
from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from ..errors import InputError
from ..notes import Note, short_list
from ..questionnaire import Questionnaire

__all__ = ["detect_platform", "headers_worded_as", "recognise_headers", "seconds"]

_WJX = {"id": "序号", "time": "提交答卷时间", "duration": "所用时间"}
_TENCENT = {"id": "编号", "time": "结束答题时间", "duration": "答题时长"}
_LIMESURVEY = {"id": "id", "time": "submitdate", "duration": "interviewtime"}
PLATFORMS = {"wjx": ("问卷星", _WJX), "tencent": ("腾讯问卷", _TENCENT),
             "limesurvey": ("LimeSurvey", _LIMESURVEY)}
_NUMBERED = re.compile(r"^\s*(?:第\s*)?Q?(\d+)\s*(?:题)?\s*[、.．:：]\s*(.*)$", re.S)
_MATRIX = re.compile(r"^\s*(\d+)\s*[(（]\s*(.*?)\s*[)）]\s*$", re.S)


def detect_platform(columns: list[str]) -> str | None:
    """``"wjx"``, ``"tencent"``, ``"limesurvey"`` or None, from the header alone."""
    cols = set(columns)
    if {"序号", "提交答卷时间"} <= cols:
        return "wjx"
    if "编号" in cols and ({"答题时长", "开始答题时间", "结束答题时间"} & cols):
        return "tencent"
    if {"id", "submitdate", "startlanguage"} <= cols:
        return "limesurvey"
    return None


def seconds(values: pd.Series) -> pd.Series:
    """Durations as seconds: ``125``, ``"125秒"``, ``"2分5秒"``, ``"1小时2分"``,
    ``"00:02:05"``; other text is left as it is (the checker reports it with its row)."""
    text = values.astype("string").str.strip()
    units = text.str.extract(r"^(?:(\d+)\s*(?:小时|时))?\s*(?:(\d+)\s*分(?:钟)?)?\s*"
                             r"(?:(\d+(?:\.\d+)?)\s*秒)?$").astype(float)
    clock = text.str.extract(r"^(\d+):(\d{1,2}):(\d{1,2})$").astype(float)
    factors = np.array([3600.0, 60.0, 1.0])
    from_units = (units.fillna(0).to_numpy() @ factors)
    from_clock = (clock.to_numpy() @ factors)
    out = np.where(units.notna().any(axis=1), from_units, from_clock)
    return values.where(np.isnan(out), pd.Series(out, index=values.index))


def _clean(text: str) -> str:
    return re.sub(r"[\s:：？?。.，,、“”\"'（）()]", "", str(text))


def headers_worded_as(q: Questionnaire, item: str, columns) -> list[str]:
    """The columns whose header text — after a question number such as ``16、`` — is
    ``item``'s wording in one of the questionnaire's languages (spaces and punctuation
    aside): what a message about a missing column can point to."""
    texts = {_clean(v) for v in (q.items[item].text or {}).values()} - {""}
    out = []
    for col in map(str, columns):
        m = _NUMBERED.match(col)
        if _clean(m.group(2) if m else col) in texts:
            out.append(col)
    return out


def _ratio(a: str, b: str) -> float:
    """difflib's similarity, 0 where its cheap upper bounds are already below 0.6."""
    m = difflib.SequenceMatcher(None, a, b)
    return m.ratio() if m.real_quick_ratio() >= 0.6 and m.quick_ratio() >= 0.6 else 0.0


def _text_matches(header: str, texts: dict[str, set[str]]) -> tuple[list[str], bool]:
    """Questions whose text is ``header`` (exact after :func:`_clean`), else the most similar
    ones (ratio ≥ 0.6); and whether the match was exact."""
    if not header:
        return [], False
    exact = [i for i, t in texts.items() if header in t]
    if exact:
        return exact, True
    ratios = {i: max(_ratio(header, x) for x in t) for i, t in texts.items() if t}
    top = max(ratios.values(), default=0.0)
    return ([i for i, r in ratios.items() if r == top] if top >= 0.6 else []), False


def _by_text(numbered: dict[str, tuple[str, list[str], bool]], name: str,
             source: str | None) -> dict[str, str]:
    """Columns → items by their texts, when numbers and texts disagree systematically;
    an InputError naming the suggested mapping when the texts are not unambiguous."""
    chosen = {col: found[0] for col, (_, found, exact) in numbered.items()
              if len(found) == 1 and exact}
    claimed = list(chosen.values())
    unclear = [col for col, (_, found, exact) in numbered.items() if found and col not in chosen]
    twice = {i for i in claimed if claimed.count(i) > 1}
    if not unclear and not twice:
        return chosen
    suggest = [f"{col!r} → {'/'.join(found)}" for col, (_, found, _) in numbered.items()
               if found and found[0] != numbered[col][0]]
    raise InputError(
        f"{name} numbered headers do not follow the questionnaire's numbering: their texts "
        f"suggest {'; '.join(suggest[:8])}{' …' if len(suggest) > 8 else ''}", path=source,
        hint="map the columns to items (mapping: in the study file's data entry, --map "
             "COLUMN=ITEM on the command line)")


def recognise_headers(frame: pd.DataFrame, q: Questionnaire, platform: str,
                      taken: set[str], source: str | None = None
                      ) -> tuple[pd.DataFrame, list[Note]]:
    """``frame`` with the platform's headers renamed to item ids (columns in ``taken`` —
    already mapped by the user — are left alone) and its durations in seconds; notes.
    Numbered headers whose texts systematically name other questions are matched by text
    (and noted) or refused (see the module notes)."""
    name, roles = PLATFORMS[platform]
    from ..fielding.instrument import question_numbers

    numbers = {n: item for item, n in question_numbers(q).items()}
    texts = {item: {_clean(v) for v in (it.text or {}).values()} for item, it in q.items.items()}
    asked = {item: texts[item] for item in numbers.values()}
    rename: dict[str, str] = {}
    for role in ("id", "duration"):
        item = q.role_item(role)
        col = roles[role]
        if item and col in frame.columns and col not in taken and item not in frame.columns:
            rename[col] = item
    numbered: dict[str, tuple[str, list[str], bool]] = {}  # col -> (item by number, by text)
    unmatched, mismatched, reworded = [], [], []
    for col in map(str, frame.columns):
        if col in rename or col in taken or col in q.items:
            continue
        m_matrix, m_num = _MATRIX.match(col), _NUMBERED.match(col)
        item = None
        if m_matrix:
            sub = _clean(m_matrix.group(2))
            item = next((i for i, t in texts.items() if sub and sub in t), None)
        elif m_num and platform != "limesurvey":
            item = numbers.get(int(m_num.group(1)))
            header = _clean(m_num.group(2))
            found, exact = _text_matches(header, asked)
            if item is None and exact and len(found) == 1:  # a number past the questions
                item = found[0]  # (a group item asked on the platform): its text decides
            numbered[col] = (item or "", found, exact)
            if item and header and texts[item] and item not in found and max(
                    _ratio(header, t) for t in texts[item]) < 0.6:
                mismatched.append(f"{col!r} → {item}")
            elif item and header and texts[item] and header not in texts[item]:
                reworded.append(f"{col!r} → {item}")
        elif platform == "limesurvey":
            item = next((i for i in q.items if re.sub(r"[^A-Za-z0-9]", "", i).lower()
                         == col.lower() and i not in frame.columns), None)
        if item and item not in rename.values() and item not in frame.columns:
            rename[col] = item
        elif col not in roles.values():
            unmatched.append(col)
    contradicted = [col for col, (item, found, _) in numbered.items()
                    if len(found) == 1 and found[0] != item]
    by_text = []
    if len(contradicted) >= 2:
        chosen = _by_text(numbered, name, source)
        for col in numbered:
            rename.pop(col, None)
        rename.update({c: i for c, i in chosen.items() if i not in frame.columns})
        mismatched, reworded = [], []
        unmatched = [c for c in map(str, frame.columns) if c not in rename and c not in taken
                     and c not in q.items and c not in roles.values()]
        by_text = [f"{c!r} → {i}" for c, i in chosen.items() if numbered[c][0] != i]
    out = frame.rename(columns=rename)
    duration = q.role_item("duration")
    if duration and rename.get(roles["duration"]) == duration:
        out[duration] = seconds(out[duration])
    notes = [Note("platform_headers", {"platform": name, "n": len(rename), "pairs": short_list(
        (f"{k!r} → {v}" for k, v in rename.items()), 6)})]
    if by_text:
        notes.append(Note("headers_by_text", {"pairs": short_list(by_text, 8)}))
    if mismatched:
        notes.append(Note("header_mismatch", {"pairs": list(mismatched)}))
    if reworded:
        notes.append(Note("header_reworded", {"pairs": short_list(reworded, 8)}))
    if unmatched:
        notes.append(Note("platform_unmatched", {"platform": name,
                                                 "columns": list(unmatched)}))
    return out, notes
