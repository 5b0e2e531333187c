"""Response exports of survey platforms whose headers are not item ids.

- **问卷星 (wjx.cn)**: ``序号`` (response number), ``提交答卷时间`` (submission time),
  ``所用时间`` (time taken, ``"125秒"``), then one column per question headed by its
  number and text — ``5、您对该品牌的满意程度`` — and matrix rows as ``5(子问题)``.
- **腾讯问卷 (wj.qq.com)**: ``编号``, ``开始答题时间``/``结束答题时间``, ``答题时长``, and
  question headers ``第5题：…``, ``5.…`` or ``Q5.…``.
- **LimeSurvey**: ``id``, ``submitdate``, ``startlanguage``, ``interviewtime``, and
  question codes (item ids without ``_``, see :mod:`crmsurvey.fielding.limesurvey`).

A numbered header is matched to the questionnaire's question of that number (questions
count as in the printed questionnaire: every item except id, duration, weight and group
items), a matrix row to the item whose text it repeats; the platform's id and duration
columns to the items with those roles. Every column left unmatched is listed.
"""
from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from ..questionnaire import Questionnaire
from ..questionnaire.schema import ROLES_WITHOUT_SCALE

__all__ = ["detect_platform", "recognise_headers", "seconds"]

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


def recognise_headers(frame: pd.DataFrame, q: Questionnaire, platform: str,
                      taken: set[str]) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with the platform's headers renamed to item ids (columns in ``taken`` —
    already mapped by the user — are left alone) and its durations in seconds; notes."""
    name, roles = PLATFORMS[platform]
    from ..fielding.instrument import question_numbers

    numbers = {n: item for item, n in question_numbers(q).items()}
    texts = {item: {_clean(v) for v in (it.text or {}).values()} for item, it in q.items.items()}
    rename: dict[str, str] = {}
    for role in ("id", "duration"):
        item = q.role_item(role)
        col = roles[role]
        if item and col in frame.columns and col not in taken and item not in frame.columns:
            rename[col] = item
    unmatched, mismatched = [], []
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
            if item and header and texts[item] and max(
                    difflib.SequenceMatcher(None, header, t).ratio() for t in texts[item]) < 0.6:
                mismatched.append(f"{col!r} → {item}")
        elif platform == "limesurvey":
            item = next((i for i in q.items if re.sub(r"[^A-Za-z0-9]", "", i).lower()
                         == col.lower() and i not in frame.columns), None)
        if item and item not in rename.values() and item not in frame.columns:
            rename[col] = item
        elif col not in roles.values():
            unmatched.append(col)
    out = frame.rename(columns=rename)
    duration = q.role_item("duration")
    if duration and rename.get(roles["duration"]) == duration:
        out[duration] = seconds(out[duration])
    notes = [f"{name} export: {len(rename)} column(s) recognised by the platform's headers "
             f"({', '.join(f'{k!r} → {v}' for k, v in list(rename.items())[:6])}"
             f"{' …' if len(rename) > 6 else ''})"]
    if mismatched:
        notes.append("numbered header whose text differs from the question of that number "
                      "(check the numbering, or map it in the study file): "
                      + "; ".join(mismatched))
    if unmatched:
        notes.append(f"{name} columns not matched to an item: " + ", ".join(unmatched))
    return out, notes
