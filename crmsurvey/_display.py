"""Short reprs and small HTML summaries for notebooks (``_repr_html_``).

Plain Python only (no pandas), so the questionnaire can use it without importing
pandas. Every text that reaches HTML is escaped here.
"""
from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

__all__ = ["clip", "counts", "html_summary", "html_table"]


def clip(text: Any, most: int = 60) -> str:
    """``text`` on one line, cut to ``most`` characters with an ellipsis."""
    one = " ".join(str(text).split())
    return one if len(one) <= most else one[: most - 1] + "…"


def counts(mapping: dict[str, int]) -> str:
    """``{"duplicate": 3, "speeder": 0}`` → ``"duplicate 3"`` (zeros left out)."""
    return ", ".join(f"{k} {v}" for k, v in mapping.items() if v) or "none"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        value = "" if value != value else f"{value:.3f}"
    return html.escape("" if value is None else str(value))


def html_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A small escaped HTML table (floats to 3 decimals, None and NaN blank)."""
    head = "".join(f"<th>{_cell(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_summary(title: str, facts: Sequence[tuple[str, Any]] = (),
                 tables: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = (),
                 notes: Sequence[str] = ()) -> str:
    """A title, a two-column table of facts, titled tables and notes, all escaped."""
    parts = [f"<h4>{html.escape(title)}</h4>"]
    if facts:
        parts.append(html_table(("", ""), facts).replace(
            "<thead><tr><th></th><th></th></tr></thead>", ""))
    for name, header, rows in tables:
        parts.append(f"<h5>{html.escape(name)}</h5>{html_table(header, rows)}")
    if notes:
        parts.append("<p>" + "<br>".join(html.escape(n) for n in notes) + "</p>")
    return "<div>" + "\n".join(parts) + "</div>"
