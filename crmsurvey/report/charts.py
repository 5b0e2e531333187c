"""Vector charts for the report: matplotlib SVG with text kept as text.

Each function returns SVG markup; labels come from our own data and matplotlib escapes
them as XML text. The report embeds the SVG as a data: URI image, so chart text can never
become HTML markup.
"""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np

from .._format import current_language, num, pct

__all__ = ["index_chart", "index_figure", "path_diagram", "path_figure", "ipma_chart",
           "ipma_figure", "nps_chart", "kano_chart", "typology_chart", "mean_chart",
           "mean_figure", "shared_range", "trend_chart", "series_styles", "FONT_FAMILY",
           "chart_fonts"]

#: The font chain for chart text: Latin glyphs from the Latin face (as the report's
#: English text), Chinese from the CJK face named next, so no label falls back to a font
#: without its glyphs.
FONT_FAMILY = ["Noto Sans", "Noto Sans CJK SC", "DejaVu Sans"]
#: ... and for a Chinese report the Simplified Chinese face first, as the report's Chinese
#: text (report.css): WeasyPrint draws SVG text without a language, and a glyph the first
#: face lacks then comes from fontconfig's first CJK face (the Japanese forms of
#: Noto Sans CJK JP), whatever the chain names next
FONT_FAMILY_ZH = ["Noto Sans CJK SC", "Noto Sans", "DejaVu Sans"]


def chart_fonts() -> list[str]:
    """The font chain for charts drawn in the current report language
    (:func:`crmsurvey._format.number_locale`).

    >>> from crmsurvey._format import number_locale
    >>> with number_locale("zh-CN"):
    ...     chart_fonts()[0]
    'Noto Sans CJK SC'
    """
    return FONT_FAMILY_ZH if (current_language() or "").startswith("zh") else FONT_FAMILY


PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#843c0c"]
GREY = "#595959"
#: One marker per series beside its colour, so groups stay apart in greyscale print.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "h"]
#: ... and one line style (the whole sample dashed, as the first style here)
LINESTYLES = ["--", "-", (0, (5, 1.5, 1, 1.5)), ":", (0, (8, 2)), "-.", (0, (2, 1))]


#: The size of the values printed in the dot plots (points at print size: the report
#: never prints text under 7 pt).
DOT_LABEL_PT = 7.5


def series_styles(keys: Sequence[str]) -> dict[str, dict]:
    """One look per series for every chart of a report: colour, marker and line style
    from its position in ``keys`` (the whole sample first: grey and dashed), so a group
    keeps its look from chart to chart and stays apart from the others in greyscale.

    Examples
    --------
    >>> s = series_styles(["all", "Brand A", "Brand B"])
    >>> s["all"]["color"], s["Brand A"]["marker"], s["Brand B"]["ls"] != s["Brand A"]["ls"]
    ('#595959', 's', True)
    """
    return {k: {"color": GREY if i == 0 else PALETTE[(i - 1) % len(PALETTE)],
                "marker": MARKERS[i % len(MARKERS)], "ls": LINESTYLES[i % len(LINESTYLES)]}
            for i, k in enumerate(keys)}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.family": "sans-serif",
                         "font.sans-serif": chart_fonts(), "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False,
                         "svg.hashsalt": "crmsurvey",
                         # labels are data (group names, construct labels): "$" is a
                         # dollar sign, never mathtext or TeX
                         "text.parse_math": False, "text.usetex": False})
    return plt


def _tick_digits(locs) -> int:
    """The fewest decimals (0–4) that write every tick location exactly (0.1, 0.2 → 1)."""
    locs = np.asarray(locs, dtype=float)
    locs = locs[np.isfinite(locs)]
    scale = max(1.0, float(np.abs(locs).max())) if len(locs) else 1.0
    return next((d for d in range(5) if np.all(np.abs(locs - np.round(locs, d))
                                               <= 1e-9 * scale)), 4)


def _locale_ticks(ax, which: str = "xy") -> None:
    """Write the numeric tick labels of ``ax`` (``which``: ``"x"``, ``"y"`` or both) as
    the report writes numbers (:func:`crmsurvey._format.num` in the report's locale: a
    decimal comma in ``de``), with as many decimals as the ticks need."""
    from matplotlib.ticker import FuncFormatter

    for name in which:
        axis = ax.xaxis if name == "x" else ax.yaxis
        axis.set_major_formatter(FuncFormatter(
            lambda v, _pos, axis=axis: num(v, _tick_digits(axis.get_majorticklocs()))))


def _svg(fig) -> str:
    import logging

    buf = io.StringIO()
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    _plt().close(fig)
    return buf.getvalue()


#: The height of one group's row in the index dot plot (points): its marker and
#: interval, its value printed above the marker, clear of the next row's interval.
DOT_ROW_PT = 1.85 * DOT_LABEL_PT
#: ... and the space between two constructs' bands, in rows (it also keeps the first and
#: the last marker off the axes' edges: no marker sits on the x axis).
DOT_BAND_GAP = 0.7
#: How far above its marker's edge a value's baseline sits (points).
DOT_LABEL_RISE = 1.5
#: extra room above the top row of a dot plot with printed values, in points: the top
#: group's label stands above its marker and would touch the frame
DOT_TOP_ROOM_PT = 3.0


def _row_major(items: list, ncol: int) -> list:
    """``items`` rearranged so that a legend of ``ncol`` columns (matplotlib fills a
    column before the next) reads left to right, then top to bottom, in their order.

    >>> _row_major(list("abcde"), 3)
    ['a', 'd', 'b', 'e', 'c']
    """
    rows = -(-len(items) // ncol)
    grid = [items[r * ncol:(r + 1) * ncol] for r in range(rows)]
    return [row[c] for c in range(ncol) for row in grid if c < len(row)]


def index_chart(rows: list[dict], constructs: Sequence[str], labels: dict[str, str],
                groups: Sequence[str], group_labels: dict[str, str],
                styles: dict[str, dict] | None = None, highlight: str | None = None) -> str:
    """Each construct's index per group with its interval (a dot plot, 0–100 axis zoomed
    to the data): see :func:`index_figure`."""
    return _svg(index_figure(rows, constructs, labels, groups, group_labels, styles,
                             highlight)[0])


def index_figure(rows: list[dict], constructs: Sequence[str], labels: dict[str, str],
                 groups: Sequence[str], group_labels: dict[str, str],
                 styles: dict[str, dict] | None = None, highlight: str | None = None):
    """The index dot plot's matplotlib figure: ``(figure, axes, drawn)``.

    Constructs top-down in the order of ``constructs``; within a construct the groups
    top-down in the order of ``groups`` (the order of the tables and of the legend, read
    left to right). Each value is printed just above its own marker (not at an end of
    its interval), on a white backing so that no gridline crosses it; the axes leave
    room above the first row and below the last, so no marker sits on the x axis.
    ``styles`` (see :func:`series_styles`; by default from the order of ``groups``)
    give each group its colour and marker; the client's group (``highlight``) is drawn
    with a larger marker, a heavier interval and its value and legend entry in bold.

    ``drawn`` lists, for every point, ``group``, ``construct``, ``x``, ``y`` (data
    units), ``lower``, ``upper`` and ``label`` (the printed value's Text, None where
    values are not printed: more than six groups).
    """
    plt = _plt()
    styles = styles or series_styles(groups)
    n_g, n_c = max(1, len(groups)), max(1, len(constructs))
    step = 1.0 / (n_g + DOT_BAND_GAP)  # one group's row, a construct's band being 1
    printed = len(groups) <= 6  # values are compared here: print them (not for a crowd)
    # room for the top row's printed values above its markers, in points
    room = DOT_TOP_ROOM_PT if printed else 0.0
    height = (n_c * (n_g + DOT_BAND_GAP) * DOT_ROW_PT + room) / 72  # the axes', inches
    below = 0.35 + (0.3 * -(-len(groups) // 5) if len(groups) > 1 else 0.0)
    fig, ax = plt.subplots(figsize=(6.4, height + below + 0.1))
    fig.subplots_adjust(bottom=below / (height + below + 0.1),
                        top=1 - 0.1 / (height + below + 0.1))
    drawn, handles = [], {}
    lo_all, hi_all = 100.0, 0.0
    for g_i, g in enumerate(groups):
        sel = {r["construct"]: r for r in rows if r["group"] == g}
        mine = [(c_i, sel[c]) for c_i, c in enumerate(constructs) if c in sel]
        if not mine:
            continue
        ys = np.array([n_c - 1 - c_i + ((n_g - 1) / 2 - g_i) * step for c_i, _ in mine])
        xs = np.array([r["index"] for _, r in mine], dtype=float)
        lo = np.array([r["ci_lower"] if r["ci_lower"] is not None else r["index"]
                       for _, r in mine], dtype=float)
        hi = np.array([r["ci_upper"] if r["ci_upper"] is not None else r["index"]
                       for _, r in mine], dtype=float)
        look = styles.get(g) or series_styles(groups)[g]
        bold = g == highlight
        handles[g] = ax.errorbar(xs, ys, xerr=[xs - lo, hi - xs], fmt=look["marker"],
                                 color=look["color"], ms=7 if bold else 5, capsize=2,
                                 lw=1.6 if bold else 1, zorder=3,
                                 label=group_labels.get(g, g))
        for (_, r), x, y, l, h in zip(mine, xs, ys, lo, hi):
            # on its baseline just above the marker; its white backing drawn under the
            # markers (zorder) so it hides gridlines, never the point
            text = ax.annotate(num(x, 1), (x, y),
                               xytext=(0, (3.5 if bold else 2.5) + DOT_LABEL_RISE),
                               textcoords="offset points", ha="center", va="baseline",
                               fontsize=DOT_LABEL_PT, color=look["color"], zorder=2.5,
                               fontweight="bold" if bold else "normal",
                               bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none")
                               ) if printed else None
            drawn.append({"group": g, "construct": r["construct"], "x": float(x),
                          "y": float(y), "lower": float(l), "upper": float(h),
                          "label": text})
        lo_all, hi_all = min(lo_all, lo.min()), max(hi_all, hi.max())
    ax.set_yticks(range(n_c))
    ax.set_yticklabels([labels.get(c, c) for c in reversed(constructs)])
    ax.set_ylim(-0.5, n_c - 0.5 + room * step / DOT_ROW_PT)  # a row is DOT_ROW_PT high
    if hi_all < lo_all:  # nothing drawn
        lo_all, hi_all = 0.0, 100.0
    pad = max(2.0, (hi_all - lo_all) * 0.08)
    ax.set_xlim(max(0, lo_all - pad), min(100, hi_all + pad))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    _locale_ticks(ax, "x")
    ax.set_axisbelow(True)
    if len(handles) > 1:
        ncol = min(5, len(handles))
        order = _row_major([g for g in groups if g in handles], ncol)
        legend = ax.legend([handles[g] for g in order],
                           [group_labels.get(g, g) for g in order],
                           loc="upper center", bbox_to_anchor=(0.5, -0.35 / height),
                           ncol=ncol, frameon=False)
        for g, text in zip(order, legend.get_texts()):
            if g == highlight:
                text.set_fontweight("bold")
    return fig, ax, drawn


def data_uri(svg: str) -> str:
    """An SVG chart as a data: URI (the report fetches nothing else)."""
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode()


def _layers(names: Sequence[str], paths: list[tuple[str, str]]) -> dict[str, int]:
    layer = {n: 0 for n in names}
    for _ in names:
        for lhs, rhs in paths:
            layer[lhs] = max(layer[lhs], layer[rhs] + 1)
    return layer


def _wrap(text: str, width: int = 12) -> str:
    """A box's name on lines of about ``width`` letters, broken at spaces; a Chinese name
    of more than six characters (no spaces: it may break anywhere) in two halves."""
    if " " not in text and len(text) > 6 and all("\u4e00" <= c <= "\u9fff" for c in text):
        return text[:(len(text) + 1) // 2] + "\n" + text[(len(text) + 1) // 2:]
    if " " not in text or len(text) <= width:
        return text
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line])


def _bezier(p0, p2, rad: float, t: float) -> tuple[float, float]:
    """A point of matplotlib's ``arc3`` connection (a quadratic Bézier) at ``t``."""
    (x0, y0), (x2, y2) = p0, p2
    cx = (x0 + x2) / 2 + rad * (y2 - y0)
    cy = (y0 + y2) / 2 - rad * (x2 - x0)
    u = 1 - t
    return u * u * x0 + 2 * t * u * cx + t * t * x2, u * u * y0 + 2 * t * u * cy + t * t * y2


def segments_hit(rect: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which segments ``a[j] → b[j]`` meet which rectangles ``rect[i]`` (``x0, y0, x1,
    y1``): a boolean (rectangles × segments) array. A segment meets a rectangle when
    their bounding boxes overlap and the rectangle's corners do not all lie strictly on
    one side of the segment's line (the separating-axis test).

    >>> r = np.array([[0.0, 0.0, 1.0, 1.0]])
    >>> segments_hit(r, np.array([[-1, 0.5], [-1, 2.0]]), np.array([[2, 0.5], [2, 3.0]]))
    array([[ True, False]])
    """
    rect = np.asarray(rect, dtype=float)[:, None, :]
    a, b = np.asarray(a, dtype=float)[None], np.asarray(b, dtype=float)[None]
    boxes = ((np.minimum(a[..., 0], b[..., 0]) <= rect[..., 2])
             & (np.maximum(a[..., 0], b[..., 0]) >= rect[..., 0])
             & (np.minimum(a[..., 1], b[..., 1]) <= rect[..., 3])
             & (np.maximum(a[..., 1], b[..., 1]) >= rect[..., 1]))
    dx, dy = b[..., 0] - a[..., 0], b[..., 1] - a[..., 1]
    sides = np.stack([dx * (rect[..., 1 + 2 * (k // 2)] - a[..., 1])
                      - dy * (rect[..., 2 * (k % 2)] - a[..., 0]) for k in range(4)])
    return boxes & ~((sides > 0).all(axis=0) | (sides < 0).all(axis=0))


def _overlaps(rect: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Which rectangles ``rect[i]`` overlap any of ``others`` (all ``x0, y0, x1, y1``)."""
    if not len(others):
        return np.zeros(len(rect), dtype=bool)
    r, o = rect[:, None, :], np.asarray(others, dtype=float)[None]
    return ((r[..., 0] < o[..., 2]) & (r[..., 2] > o[..., 0]) & (r[..., 1] < o[..., 3])
            & (r[..., 3] > o[..., 1])).any(axis=1)


#: Where along its arrow a label is tried, nearest the middle first; then (no spot on
#: the arrow clear of everything) beside the arrow, as near as the label's half-height
_ALONG = sorted(np.round(np.arange(0.15, 0.851, 0.025), 3), key=lambda t: (abs(t - 0.5), t))


def _free_spot(arrow, placed: list, boxes: np.ndarray, size: tuple[float, float],
               segments: tuple[np.ndarray, np.ndarray] | None) -> tuple[float, float]:
    """Where along ``arrow`` (start, end, rad) its label (``size``: full width and height)
    meets no other arrow (``segments``: their polylines' pieces), no box and no label
    already ``placed`` (rectangles): the spot nearest the middle with room to spare
    around it (:data:`LABEL_ROOM`), else the nearest clear one, else a clear spot just
    beside the arrow; failing all, the spot with the fewest conflicts."""
    start, end, rad = arrow
    w, h = size
    t = np.array(_ALONG)
    x, y = _bezier(start, end, rad, t)
    # beside the arrow: a step along its normal at each point, either side
    (x0, y0), (x1, y1) = start, end
    nx, ny = -(y1 - y0), x1 - x0
    norm = np.hypot(nx, ny) or 1.0
    shift = (h / 2 + w / 2 * abs(ny) / norm) * 1.05  # the box's reach across the arrow
    beside = [(x + sgn * shift * nx / norm, y + sgn * shift * ny / norm) for sgn in (1, -1)]
    placed_rects = np.array(placed).reshape(-1, 4)
    for (cx, cy), room in [((x, y), LABEL_ROOM), ((x, y), 1.0), (beside[0], 1.0),
                           (beside[1], 1.0)]:
        half_w, half_h = w / 2 * room, h / 2 * room
        rects = np.column_stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h])
        bad = _overlaps(rects, boxes) | _overlaps(rects, placed_rects)
        if segments is not None:
            bad |= segments_hit(rects, *segments).any(axis=1)
        if not bad.all():
            k = int(np.argmin(bad))
            return float(cx[k]), float(cy[k])
    rects = np.column_stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2])
    score = (_overlaps(rects, boxes).astype(int) + _overlaps(rects, placed_rects)
             + (segments_hit(rects, *segments).sum(axis=1) if segments is not None else 0))
    k = int(np.argmin(score))
    return float(x[k]), float(y[k])


#: Path diagram geometry: box width and the height arrows attach to; a coefficient
#: label's full width and height (data units) where the drawing does not measure them.
BOX_W, BOX_H = 1.0, 0.52
LABEL_W, LABEL_H = 0.46, 0.24
#: The clearance a label prefers (as a share of its size): half as much again.
LABEL_ROOM = 1.5


def path_layout(names: Sequence[str], paths: list[dict],
                label_size: tuple[float, float] = (LABEL_W, LABEL_H),
                box_heights: dict[str, float] | None = None) -> dict:
    """Where everything of a path diagram goes: ``boxes`` (name → centre), ``arrows``
    (path, start, end, arc radius, significant) and ``labels`` (the coefficients'
    centres, one per arrow: along it, where a label of ``label_size`` — width, height in
    data units — meets no other arrow, no box (``box_heights``, else :data:`BOX_H`) and
    no other label; beside the arrow where no spot along it is clear)."""
    layer = _layers(names, [(p["lhs"], p["rhs"]) for p in paths])
    cols: dict[int, list[str]] = {}
    for n in names:
        cols.setdefault(layer[n], []).append(n)
    pos = {}
    for c, members in cols.items():
        if len(members) == 1:
            pos[members[0]] = (c * 1.4, 0.6 if c % 2 == 0 else -0.6)
        else:
            for i, n in enumerate(members):
                pos[n] = (c * 1.4, (len(members) - 1) / 2 * 1.4 - i * 1.4)
    arrows, placed = [], []
    bw, bh = BOX_W, BOX_H
    for p in paths:
        (x0, y0), (x1, y1) = pos[p["rhs"]], pos[p["lhs"]]
        sig = path_significant(p)
        skip = layer[p["lhs"]] - layer[p["rhs"]] > 1 and abs(y1 - y0) < 1e-9
        rad = (-0.28 if y0 > 0 else 0.28) if skip else 0.0
        start = (x0 + bw / 2 * (0.2 if skip else 1), y0 + (bh / 2 if skip and y0 > 0 else
                                                          -bh / 2 if skip else 0))
        end = (x1 - bw / 2 * (0.2 if skip else 1), y1 + (bh / 2 if skip and y1 > 0 else
                                                        -bh / 2 if skip else 0))
        arrows.append((p, start, end, rad, sig))
    heights = box_heights or {}
    boxes = np.array([[x - bw / 2, y - heights.get(n, bh) / 2, x + bw / 2,
                       y + heights.get(n, bh) / 2] for n, (x, y) in pos.items()]).reshape(-1, 4)
    # each label clear of the other labels, the boxes and the other arrows
    steps = np.linspace(0.0, 1.0, 81)
    curves = [np.array(_bezier(a[1], a[2], a[3], steps)).T for a in arrows]
    w, h = label_size
    for k, (_, start, end, rad, _) in enumerate(arrows):
        others = [c for j, c in enumerate(curves) if j != k]
        segs = (np.vstack([c[:-1] for c in others]), np.vstack([c[1:] for c in others])) \
            if others else None
        x, y = _free_spot((start, end, rad), placed, boxes, (w, h), segs)
        placed.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    labels = [((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) for r in placed]
    return {"boxes": pos, "arrows": arrows, "labels": labels, "width": max(cols) + 1}


def path_significant(p: dict) -> bool:
    """Is path ``p`` drawn solid (its interval excludes zero) rather than dashed?"""
    return p.get("ci_lower") is not None and (p["ci_lower"] > 0 or p["ci_upper"] < 0)


def path_diagram(names: Sequence[str], paths: list[dict], r2: dict[str, float],
                 labels: dict[str, str], r2_label: str = "R² {value}") -> str:
    """Constructs left to right by causal depth; a layer with one construct zig-zags up
    and down so that long arrows can arc around the boxes. Arrows carry the path
    coefficients: solid and dark when the interval excludes zero, dashed and grey
    otherwise (readable in black and white); see :func:`path_layout`."""
    return _svg(path_figure(names, paths, r2, labels, r2_label)[0])


def path_figure(names: Sequence[str], paths: list[dict], r2: dict[str, float],
                labels: dict[str, str], r2_label: str = "R² {value}"):
    """The path diagram's matplotlib figure: ``(figure, axes, layout, coefficient
    texts)``, the layout (:func:`path_layout`) placed for the coefficients' size as
    drawn (their text and its white backing, in data units)."""
    plt = _plt()
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    texts = {n: _wrap(labels.get(n, n)) for n in names}
    heights = {n: max(BOX_H, 0.2 + 0.17 * (texts[n].count("\n") + 1 + (r2.get(n) is not None)))
               for n in names}
    lay = path_layout(names, paths, box_heights=heights)
    pos = lay["boxes"]
    fig, ax = plt.subplots(figsize=(min(6.8, 1.3 * lay["width"] + 0.4), 4.4))
    names_drawn, stacked = [], []
    for n, (x, y) in pos.items():
        h = heights[n]
        box = ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - h / 2), BOX_W, h,
                                          boxstyle="round,pad=0.01,rounding_size=0.06",
                                          fc="#dde8f4", ec="#1f4e79", lw=0.9, zorder=2))
        # with an R²: the name above, the R² line below, the two centred together on the
        # box once drawn (:func:`_stack`), so that a name of two lines never runs into it
        below = r2.get(n) is not None
        names_drawn.append(ax.annotate(texts[n], (x, y), xytext=(0, 0),
                                       textcoords="offset points", ha="center",
                                       va="bottom" if below else "center", fontsize=7.5,
                                       zorder=3, linespacing=1.0))
        if below:
            stacked.append((box, names_drawn[-1], ax.annotate(
                r2_label.format(value=num(r2[n], 2)), (x, y), xytext=(0, 0),
                textcoords="offset points", ha="center", va="top", fontsize=7.2,
                color="#404040", zorder=3)))
    coefs = []
    for (p, start, end, rad, sig), (mx, my) in zip(lay["arrows"], lay["labels"]):
        coefs.append(ax.text(mx, my, f"{num(p['est'], 2)}{'*' if sig else ''}", ha="center",
                             va="center", fontsize=7.8, color="#000000" if sig else "#595959",
                             zorder=4, fontweight="bold" if sig else "normal",
                             bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none")))

    def limits(labels_at):
        xs = [x for x, _ in pos.values()]
        ys = [y for _, y in pos.values()] + [y for _, y in labels_at]
        ys += [_bezier(a[1], a[2], a[3], 0.5)[1] for a in lay["arrows"]]  # the arcs' crests
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
        ax.set_ylim(min(ys) - 0.45, max(ys) + 0.3)
        ax.set_aspect("equal")
        ax.apply_aspect()

    limits(lay["labels"])
    if coefs:  # the coefficients' drawn size, then the spots that size finds free
        size = _label_size(fig, ax, coefs)
        lay = path_layout(names, paths, label_size=size, box_heights=heights)
        for text, xy in zip(coefs, lay["labels"]):
            text.set_position(xy)
        limits(lay["labels"])
    for p, start, end, rad, sig in lay["arrows"]:
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9,
                                     lw=1.3 if sig else 0.9, ls="-" if sig else (0, (3, 2)),
                                     color="#1f4e79" if sig else "#7f7f7f", zorder=1,
                                     connectionstyle=f"arc3,rad={rad}", shrinkA=1, shrinkB=1))
    ax.axis("off")
    _fit_names(fig, ax, names_drawn, BOX_W * NAME_ROOM)
    _stack(fig, ax, stacked)
    return fig, ax, lay, coefs


def _stack(fig, ax, boxes: list, gap: float = 1.5, pad: float = 2.0) -> None:
    """Each (box, name, R²) of the diagram, the texts anchored at the box's centre (name
    ``va="bottom"``, R² ``va="top"``), moved so that name, ``gap`` points and R² form one
    block centred on the box, whatever the name's lines and the figure's scale; a box
    lower than the block and ``pad`` points above and below it grows about its centre."""
    renderer = fig.canvas.get_renderer()
    to_pt = 72 / fig.dpi
    per_pt = abs(ax.transData.inverted().transform((0, 1))[1]
                 - ax.transData.inverted().transform((0, 0))[1]) / to_pt  # data per point
    for box, name, r2 in boxes:
        h_name = name.get_window_extent(renderer).height * to_pt
        h_r2 = r2.get_window_extent(renderer).height * to_pt
        half = (h_name + gap + h_r2) / 2
        name.xyann = (0, half - h_name)
        r2.xyann = (0, h_r2 - half)
        need = 2 * (half + pad) * per_pt
        if box.get_height() < need:
            cy = box.get_y() + box.get_height() / 2
            box.set_bounds(box.get_x(), cy - need / 2, box.get_width(), need)


def _label_size(fig, ax, texts: list) -> tuple[float, float]:
    """The largest width and height (data units) of ``texts`` with their backing box, as
    drawn on ``ax``."""
    renderer = fig.canvas.get_renderer()
    to_data = ax.transData.inverted()
    w = h = 0.0
    for text in texts:
        pad = text.get_bbox_patch().get_boxstyle().pad * text.get_fontsize() * fig.dpi / 72
        box = text.get_window_extent(renderer).padded(pad)
        (x0, y0), (x1, y1) = to_data.transform([(box.x0, box.y0), (box.x1, box.y1)])
        w, h = max(w, abs(x1 - x0)), max(h, abs(y1 - y0))
    return w, h


#: The share of a box's width a construct's name may fill (a margin on both sides).
NAME_ROOM = 0.88


def _fit_names(fig, ax, texts: list, width: float, smallest: float = 6.5) -> None:
    """Shrink the names, all to one size, until the widest is narrower than ``width``
    (data units), so that no name touches its box's edges."""
    ax.apply_aspect()
    renderer = fig.canvas.get_renderer()
    room = abs(ax.transData.transform((width, 0))[0] - ax.transData.transform((0, 0))[0])
    size = texts[0].get_fontsize() if texts else smallest
    while size > smallest and max(t.get_window_extent(renderer).width for t in texts) > room:
        size -= 0.25
        for text in texts:
            text.set_fontsize(size)


def ipma_chart(rows: list[dict], labels: dict[str, str], x_label: str, y_label: str) -> str:
    """Importance (x) against performance (y) with lines at the drivers' means: see
    :func:`ipma_figure`."""
    return _svg(ipma_figure(rows, labels, x_label, y_label)[0])


def ipma_figure(rows: list[dict], labels: dict[str, str], x_label: str, y_label: str):
    """The IPMA map's matplotlib figure: ``(figure, axes, markers)``. Lines at the
    drivers' means mark the quadrants; rows marked ``actionable: False`` (the outcome, a
    mediator: not levers to act on directly) are plotted for context as hollow markers
    and left out of the averages. ``markers``: ``"driver"`` and ``"context"``, each the
    drawn points' collection (None where there are none)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    imp = np.array([r["importance"] for r in rows])
    perf = np.array([r["performance"] for r in rows])
    ref = np.array([r.get("actionable", True) for r in rows], dtype=bool)
    ref = ref if ref.any() else np.ones(len(rows), dtype=bool)
    markers = {"driver": ax.scatter(imp[ref], perf[ref], s=40, color="#1f4e79", zorder=3)
               if ref.any() else None,
               "context": ax.scatter(imp[~ref], perf[~ref], s=40, facecolors="white",
                                     edgecolors="#1f4e79", linewidths=1.2, zorder=3)
               if (~ref).any() else None}
    lines = (imp[ref].mean(), perf[ref].mean()) if ref.sum() > 1 else None
    if lines is not None:  # quadrants need two drivers or more to average
        ax.axvline(lines[0], color=GREY, lw=0.8, ls="--", zorder=1)
        ax.axhline(lines[1], color=GREY, lw=0.8, ls="--", zorder=1)
    span = max(imp.max() - imp.min(), 0.05)
    ax.set_xlim(min(0, imp.min() - 0.15 * span), imp.max() + 0.3 * span)
    pspan = max(perf.max() - perf.min(), 4)
    ax.set_ylim(perf.min() - 0.25 * pspan, perf.max() + 0.25 * pspan)
    _place_labels(fig, ax, imp, perf, [labels.get(r["construct"], r["construct"]) for r in rows],
                  lines)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(color="#eeeeee", lw=0.6)
    _locale_ticks(ax, "xy")
    return fig, ax, markers


#: Where a point's label may go, in points from the point: right, left, above, below,
#: then further out (a thin leader line joins a label set apart from its point).
_SPOTS = [(7, 0, "left", "center"), (-7, 0, "right", "center"), (0, 9, "center", "bottom"),
          (0, -9, "center", "top"), (7, 14, "left", "bottom"), (7, -14, "left", "top"),
          (-7, 14, "right", "bottom"), (-7, -14, "right", "top"), (7, 26, "left", "bottom"),
          (7, -26, "left", "top"), (-7, 26, "right", "bottom"), (-7, -26, "right", "top")]


def _place_labels(fig, ax, x: np.ndarray, y: np.ndarray, names: list[str], lines) -> list:
    """Each point's name where it overlaps no other name, no other point, no quadrant
    line and stays inside the plot: the first free spot of :data:`_SPOTS` (measured
    as drawn), else the one with the least overlap. Returns the names' boxes (display
    units, with a small margin), in the order of the points."""
    ax.apply_aspect()
    renderer = fig.canvas.get_renderer()
    pts = ax.transData.transform(np.column_stack([x, y]))
    frame = ax.get_window_extent(renderer)
    scale = fig.dpi / 72
    if lines is not None:
        lx, ly = ax.transData.transform([lines])[0]
    taken: list = []
    order: list[int] = []
    for i in np.argsort(-y):
        best, best_cost = None, None
        for dx, dy, ha, va in _SPOTS:
            probe = ax.annotate(names[i], (x[i], y[i]), xytext=(dx, dy), fontsize=8,
                                textcoords="offset points", ha=ha, va=va)
            box = probe.get_window_extent(renderer).expanded(1.06, 1.15)
            probe.remove()
            cost = sum(box.overlaps(b) for b in taken)
            cost += sum(1 for j, (px, py) in enumerate(pts) if j != i
                        and box.x0 - 4 * scale < px < box.x1 + 4 * scale
                        and box.y0 - 4 * scale < py < box.y1 + 4 * scale)
            if lines is not None:
                cost += (box.x0 < lx < box.x1) + (box.y0 < ly < box.y1)
            cost += 2 * (box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0
                         or box.y1 > frame.y1)
            if best_cost is None or cost < best_cost:
                best, best_cost = (box, dx, dy, ha, va), cost
            if cost == 0:
                break
        box, dx, dy, ha, va = best
        ax.annotate(names[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points",
                    ha=ha, va=va, fontsize=8, zorder=4,
                    # set apart from its point: a thin leader line
                    arrowprops=dict(arrowstyle="-", color="#bbbbbb", lw=0.5)
                    if abs(dy) > 10 else None,
                    bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none"))
        taken.append(box)
        order.append(i)
    return [taken[order.index(i)] for i in range(len(names))]


def nps_chart(rows: list[dict], group_labels: dict[str, str], names: tuple[str, str, str]
              ) -> str:
    """Stacked shares of detractors, passives and promoters per group."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 0.45 * len(rows) + 0.9))
    ys = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for key, name, color in zip(("detractors", "passives", "promoters"), names,
                                ("#c00000", "#bfbfbf", "#548235")):
        vals = np.array([r[key] for r in rows])
        ax.barh(ys, vals, left=left, color=color, label=name, height=0.6)
        for y, v, l in zip(ys, vals, left):
            if v >= 7:
                ax.text(l + v / 2, y, pct(v, 0), ha="center", va="center", fontsize=7.5,
                        color="white" if color != "#bfbfbf" else "black")
        left += vals
    ax.set_yticks(ys)
    ax.set_yticklabels([group_labels.get(r["group"], r["group"]) for r in rows])
    ax.set_xlim(0, 100)
    _locale_ticks(ax, "x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, frameon=False)
    return _svg(fig)


def kano_chart(rows: list[dict], x_label: str, y_label: str) -> str:
    """Berger et al.'s map: |worse| on x, better on y, quadrant lines at 0.5
    (must-be bottom right, one-dimensional top right, attractive top left)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    x = np.array([abs(r["worse"]) for r in rows])
    y = np.array([r["better"] for r in rows])
    ax.scatter(x, y, s=40, color="#1f4e79", zorder=3)
    for r, xi, yi in zip(rows, x, y):
        ax.annotate(r["label"], (xi, yi), xytext=(6, 3), textcoords="offset points",
                    fontsize=8)
    ax.axvline(0.5, color=GREY, lw=0.8, ls="--")
    ax.axhline(0.5, color=GREY, lw=0.8, ls="--")
    for (qx, qy, text) in ((0.02, 0.97, "A"), (0.98, 0.97, "O"), (0.98, 0.03, "M"),
                           (0.02, 0.03, "I")):
        ax.text(qx, qy, text, transform=ax.transAxes, ha="left" if qx < 0.5 else "right",
                va="top" if qy > 0.5 else "bottom", fontsize=14, color="#c9d6e3",
                fontweight="bold")
    ax.set_xlim(0, 1)
    _locale_ticks(ax, "xy")
    ax.set_ylim(0, 1)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    return _svg(fig)


def typology_chart(shares: dict[str, float], names: dict[str, str], x_label: str,
                   y_label: str) -> str:
    """Dick & Basu's 2×2: relative attitude (x) × repeat behaviour (y), share in each cell."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 3.8))
    cells = {"latent": (1, 0), "loyal": (1, 1), "no_loyalty": (0, 0), "spurious": (0, 1)}
    top = max(shares.values()) if shares else 1
    for key, (cx, cy) in cells.items():
        v = shares.get(key, 0.0)
        ax.add_patch(plt.Rectangle((cx, cy), 1, 1, fc=(0.12, 0.31, 0.47, 0.15 + 0.6 * v / top),
                                   ec="white", lw=3))
        ax.text(cx + 0.5, cy + 0.6, names[key], ha="center", va="center", fontsize=10)
        ax.text(cx + 0.5, cy + 0.35, pct(v, 0), ha="center", va="center", fontsize=14,
                fontweight="bold")
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_xticks([0.5, 1.5])
    ax.set_yticks([0.5, 1.5])
    ax.set_xticklabels(["−", "+"])
    ax.set_yticklabels(["−", "+"])
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    return _svg(fig)


def shared_range(*charts_rows: list[dict], pad: float = 0.06) -> tuple[float, float]:
    """One x range for dot charts of the same quantity shown side by side (``mean_chart``
    rows: ``mean``, ``ci_lower``, ``ci_upper``): every mean and interval of every chart,
    with ``pad`` of the span (at least one unit) on each side.

    >>> shared_range([{"mean": 70, "ci_lower": 60, "ci_upper": 80}],
    ...              [{"mean": 90, "ci_lower": None, "ci_upper": None}])
    (58.2, 91.8)
    """
    values = np.array([v for rows in charts_rows for r in rows
                       for v in (r["mean"], r["ci_lower"], r["ci_upper"]) if v is not None],
                      dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0, 100.0
    lo, hi = float(values.min()), float(values.max())
    margin = max(1.0, (hi - lo) * pad)
    return round(lo - margin, 6), round(hi + margin, 6)


def mean_chart(rows: list[dict], x_label: str, xlim: tuple[float, float] | None = None
               ) -> str:
    """Group means with 95 % intervals (horizontal), e.g. satisfaction by RFM segment:
    see :func:`mean_figure`."""
    return _svg(mean_figure(rows, x_label, xlim)[0])


def mean_figure(rows: list[dict], x_label: str, xlim: tuple[float, float] | None = None):
    """The group-means chart's matplotlib figure: ``(figure, axes)``; rows top-down in
    their order, each mean printed above its dot; ``xlim``: the x range (the same for
    charts of one quantity side by side: :func:`shared_range`), else the data's."""
    plt = _plt()
    # rows kept tight so that a chart of a dozen groups shares a page with its tables
    fig, ax = plt.subplots(figsize=(6.0, 0.3 * len(rows) + 0.8))
    ys = np.arange(len(rows))[::-1]
    means = np.array([r["mean"] for r in rows], dtype=float)
    lo = means - np.array([r["ci_lower"] if r["ci_lower"] is not None else r["mean"]
                           for r in rows], dtype=float)
    hi = np.array([r["ci_upper"] if r["ci_upper"] is not None else r["mean"]
                   for r in rows], dtype=float) - means
    # thin grey bars for the intervals, the mean as the dot (the caption says which is which)
    ax.errorbar(means, ys, xerr=[np.nan_to_num(lo), np.nan_to_num(hi)], fmt="none",
                ecolor="#9aa7b4", elinewidth=0.9, capsize=2, capthick=0.9)
    ax.plot(means, ys, "o", color="#1f4e79", ms=5, zorder=3)
    for x, y in zip(means, ys):  # the means are compared: printed beside their dots
        ax.annotate(num(x, 1), (x, y), xytext=(0, 2.5 + DOT_LABEL_RISE),
                    textcoords="offset points", ha="center", va="baseline",
                    fontsize=DOT_LABEL_PT, color="#1f4e79", zorder=2.5,
                    bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none"))
    ax.set_yticks(ys)
    ax.set_yticklabels([r["label"] for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.2)  # room for the top row's value, no dot on the axis
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(x_label)
    ax.grid(axis="x", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    _locale_ticks(ax, "x")
    return fig, ax


def trend_chart(rows: list[dict], constructs: Sequence[str], labels: dict[str, str],
                waves: Sequence[str]) -> str:
    """Each construct's index across waves with its interval."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 3.4))
    x = np.arange(len(waves))
    for k, c in enumerate(constructs):
        sel = {r["wave"]: r for r in rows if r["construct"] == c}
        ys = np.array([sel[w]["index"] if w in sel else np.nan for w in waves])
        lo = np.array([sel[w]["ci_lower"] if w in sel and sel[w]["ci_lower"] is not None
                       else np.nan for w in waves])
        hi = np.array([sel[w]["ci_upper"] if w in sel and sel[w]["ci_upper"] is not None
                       else np.nan for w in waves])
        color = PALETTE[k % len(PALETTE)]
        ax.plot(x + 0.03 * k, ys, ls=LINESTYLES[(k + 1) % len(LINESTYLES)],
                marker=MARKERS[k % len(MARKERS)], color=color, ms=4, lw=1.2,
                label=labels.get(c, c))
        ax.errorbar(x + 0.03 * k, ys, yerr=[np.nan_to_num(ys - lo), np.nan_to_num(hi - ys)],
                    fmt="none", ecolor=color, capsize=2, lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(waves)
    ax.grid(axis="y", color="#eeeeee", lw=0.6)
    _locale_ticks(ax, "y")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, frameon=False,
              fontsize=8)
    return _svg(fig)


def trend_panels(rows: list[dict], constructs: Sequence[str], labels: dict[str, str],
                 waves: Sequence[str], groups: Sequence[str], group_labels: dict[str, str],
                 highlight: str | None = None, styles: dict[str, dict] | None = None) -> str:
    """Small multiples: one panel per construct, one line per group across the waves
    (``rows``: ``group`` key, ``wave``, ``construct``, ``index``), each group in its
    ``styles`` (see :func:`series_styles`: colour, marker and line style), the client's
    group (``highlight``) drawn heavier. Panels share the y axis."""
    plt = _plt()
    styles = styles or series_styles(groups)
    ncol = 3
    nrow = -(-len(constructs) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(6.4, 1.65 * nrow + 0.6), sharey=True,
                             squeeze=False)
    x = np.arange(len(waves))
    table = {(r["group"], r["construct"], r["wave"]): r["index"] for r in rows}
    values = [v for v in table.values() if v is not None]
    lo, hi = (min(values), max(values)) if values else (0, 100)
    handles = {}
    for k, c in enumerate(constructs):
        ax = axes[k // ncol][k % ncol]
        for g_i, g in enumerate(groups):
            ys = np.array([table.get((g, c, w), np.nan) for w in waves], dtype=float)
            if np.isnan(ys).all():
                continue
            look = styles.get(g) or series_styles(groups)[g]
            line, = ax.plot(x, ys, marker=look["marker"], color=look["color"], ms=3,
                            lw=2.2 if g == highlight else 1.1, ls=look["ls"],
                            label=group_labels.get(g, g))
            handles[g] = line
        ax.set_title(labels.get(c, c), fontsize=8.5)
        ax.set_xticks(x)
        ax.set_xticklabels(waves, fontsize=7.5)
        ax.tick_params(axis="y", labelsize=7.5)
        ax.grid(axis="y", color="#eeeeee", lw=0.6)
        _locale_ticks(ax, "y")
        ax.set_ylim(lo - 2, hi + 2)
    for k in range(len(constructs), nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    fig.legend([handles[g] for g in groups if g in handles],
               [group_labels.get(g, g) for g in groups if g in handles],
               loc="lower center", ncol=min(5, len(handles)), frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _svg(fig)
