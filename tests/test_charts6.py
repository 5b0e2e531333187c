"""Issue 27, item 7 (the page review's chart defects): the index dot plot prints each
value above its own point, clear of gridlines and of the other rows, with no marker on
the axes' edges; groups run top-down in the order of the tables and the legend, the
client's group emphasised; dot charts of one quantity share one x range; the IPMA map
draws what is not a lever hollow and says so; the index chart has a caption of its own in
both languages; a resample that gave no estimate raises no numpy warning.

Geometry is read from the figures as drawn (matplotlib's renderer: display units), pixels
from the rasterised figure; the reports from the shared demo run (tests/_studies.py).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmsurvey.report import charts

GRID = (221, 221, 221)  # the index chart's gridline colour, #dddddd


def _rows(groups, constructs, seed=1):
    """Index rows with intervals of 2–4 points on each side, drawn in the test."""
    rng = np.random.default_rng(seed)
    out = []
    for g in groups:
        for c in constructs:
            v = 60 + 25 * rng.random()
            out.append({"group": g, "construct": c, "index": v,
                        "ci_lower": v - 2 - 2 * rng.random(),
                        "ci_upper": v + 2 + 2 * rng.random()})
    return out


GROUPS = ["all", "a", "b", "c"]
CONSTRUCTS = ["sq", "sat", "loy"]
LABELS = {"sq": "Service quality", "sat": "Satisfaction", "loy": "Loyalty"}
NAMES = {"all": "All respondents", "a": "Brand A", "b": "Brand B", "c": "Brand C"}


@pytest.fixture(scope="module")
def drawn():
    fig, ax, points = charts.index_figure(_rows(GROUPS, CONSTRUCTS), CONSTRUCTS, LABELS,
                                          GROUPS, NAMES, highlight="a")
    fig.canvas.draw()
    yield fig, ax, points
    charts._plt().close(fig)


def _display(ax, x, y):
    return ax.transData.transform((x, y))


def test_each_value_is_printed_above_its_own_point_not_at_an_interval_end(drawn):
    fig, ax, points = drawn
    renderer = fig.canvas.get_renderer()
    assert len(points) == len(GROUPS) * len(CONSTRUCTS)
    for p in points:
        text = p["label"]
        assert text.get_text() == charts.num(p["x"], 1)
        box = text.get_window_extent(renderer)
        px, py = _display(ax, p["x"], p["y"])
        # centred on the point (within a pixel), not at the interval's upper end
        assert abs((box.x0 + box.x1) / 2 - px) < 1.0
        upper_x = _display(ax, p["upper"], p["y"])[0]
        assert not box.x0 <= upper_x <= box.x1 or abs(upper_x - px) < box.width / 2
        # above the point's own interval line, below the next row up
        assert box.y0 > py
        above = [q for q in points if q["y"] > p["y"]]
        if above:
            next_y = _display(ax, 0, min(q["y"] for q in above))[1]
            assert box.y1 < next_y - 1


def test_no_gridline_crosses_a_printed_value():
    """Rasterised with the values' glyphs made transparent (a grey label's antialiased
    glyphs can take the gridline's colour): inside each label's box no gridline pixel,
    where at least one gridline runs through a label's box."""
    fig, ax, points = charts.index_figure(_rows(GROUPS, CONSTRUCTS), CONSTRUCTS, LABELS,
                                          GROUPS, NAMES, highlight="a")
    for p in points:
        p["label"].set_color("none")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    height = pixels.shape[0]
    grid_x = [ax.transData.transform((v, 0))[0] for v in ax.get_xticks()
              if ax.get_xlim()[0] < v < ax.get_xlim()[1]]
    crossed = 0
    for p in points:
        box = p["label"].get_window_extent(renderer)
        crossed += any(box.x0 < gx < box.x1 for gx in grid_x)
        y0, y1 = int(np.ceil(height - box.y1)) + 1, int(np.floor(height - box.y0)) - 1
        patch = pixels[y0:y1, int(np.ceil(box.x0)) + 1:int(np.floor(box.x1)) - 1]
        assert not _gridlike(patch).any(), p["label"].get_text()
    assert crossed  # the data put a gridline through a label: the test can fail
    # and the gridlines are drawn (between the labels)
    assert _gridlike(pixels).any()
    charts._plt().close(fig)


def _gridlike(pixels: np.ndarray) -> np.ndarray:
    """Pixels of a light grey line drawn antialiased over white (#dddddd at partial
    coverage): grey (channels equal) between the gridline's colour and white."""
    p = pixels.astype(int)
    grey = (p.max(axis=-1) - p.min(axis=-1)) <= 3
    return grey & (p[..., 0] >= GRID[0] - 5) & (p[..., 0] <= 250)


def test_no_marker_sits_on_the_axes_edges(drawn):
    fig, ax, points = drawn
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    ms_px = 7 * fig.dpi / 72  # the largest marker (the client's), in pixels
    for p in points:
        _, py = _display(ax, p["x"], p["y"])
        assert py - frame.y0 > ms_px
        assert frame.y1 - p["label"].get_window_extent(renderer).y1 > 0
        lo, hi = ax.get_xlim()
        assert lo < p["lower"] and p["upper"] < hi


def test_groups_run_top_down_as_the_legend_and_the_client_is_emphasised(drawn):
    fig, ax, points = drawn
    for c in CONSTRUCTS:
        mine = sorted((q for q in points if q["construct"] == c), key=lambda q: -q["y"])
        assert [q["group"] for q in mine] == GROUPS
    # constructs top-down in their order too
    tops = [max(q["y"] for q in points if q["construct"] == c) for c in CONSTRUCTS]
    assert tops == sorted(tops, reverse=True)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [NAMES[g] for g in GROUPS]
    weights = {t.get_text(): t.get_fontweight() for t in ax.get_legend().get_texts()}
    assert weights["Brand A"] == "bold" and weights["Brand B"] == "normal"
    sizes = {line.get_label(): line.get_markersize() for line in ax.lines
             if line.get_label() in NAMES.values()}
    bold_labels = {q["group"]: q["label"].get_fontweight() for q in points}
    assert bold_labels["a"] == "bold" and bold_labels["b"] == "normal"
    if sizes:  # errorbar containers keep their marker line among ax.lines
        assert sizes["Brand A"] > sizes["Brand B"]
    else:
        containers = {c.get_label(): c for c in ax.containers}
        assert containers["Brand A"][0].get_markersize() \
            > containers["Brand B"][0].get_markersize()


def test_a_legend_of_many_groups_reads_row_by_row():
    groups = [f"g{i}" for i in range(7)]
    fig, ax, _ = charts.index_figure(_rows(groups, CONSTRUCTS, seed=2), CONSTRUCTS, LABELS,
                                     groups, {g: g.upper() for g in groups})
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = ax.get_legend().get_texts()
    where = {t.get_text(): t.get_window_extent(renderer) for t in texts}
    reading = sorted(where, key=lambda k: (-round(where[k].y0), where[k].x0))
    assert reading == [g.upper() for g in groups]
    charts._plt().close(fig)


def test_charts_of_one_quantity_share_one_range():
    rng = np.random.default_rng(5)
    charts_rows = []
    for centre, k in ((75, 11), (82, 3), (70, 4)):
        means = centre + rng.normal(0, 5, k)
        half = rng.uniform(1, 9, k)
        charts_rows.append([{"mean": m, "ci_lower": m - h, "ci_upper": m + h,
                             "label": f"g{i}"} for i, (m, h) in enumerate(zip(means, half))])
    xlim = charts.shared_range(*charts_rows)
    limits = []
    for rows in charts_rows:
        fig, ax = charts.mean_figure(rows, "Mean", xlim)
        limits.append(ax.get_xlim())
        # every mean and interval inside, each mean printed at its dot
        lo, hi = ax.get_xlim()
        assert all(lo < r["ci_lower"] and r["ci_upper"] < hi for r in rows)
        values = sorted(t.get_text() for t in ax.texts)
        assert values == sorted(charts.num(r["mean"], 1) for r in rows)
        charts._plt().close(fig)
    assert len(set(limits)) == 1
    every = [v for rows in charts_rows for r in rows for v in (r["ci_lower"], r["ci_upper"])]
    assert xlim[0] < min(every) and max(every) < xlim[1]


def test_ipma_draws_what_is_not_a_lever_hollow():
    rows = [{"construct": "sq", "importance": 0.18, "performance": 70.0, "actionable": True},
            {"construct": "val", "importance": 0.25, "performance": 66.0, "actionable": True},
            {"construct": "sat", "importance": 0.41, "performance": 69.3,
             "actionable": False}]
    fig, ax, markers = charts.ipma_figure(rows, LABELS, "Importance", "Performance")
    context, driver = markers["context"], markers["driver"]
    assert np.allclose(context.get_offsets(), [[0.41, 69.3]])
    assert np.allclose(driver.get_offsets(), [[0.18, 70.0], [0.25, 66.0]])
    assert np.allclose(context.get_facecolors()[0][:3], 1.0)  # white inside: hollow
    assert not np.allclose(context.get_edgecolors()[0][:3], 1.0)
    assert not np.allclose(driver.get_facecolors()[0][:3], 1.0)
    # the quadrant lines average the drivers only
    lines = [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"]
    assert pytest.approx(0.215) in lines
    charts._plt().close(fig)


def test_a_resample_without_estimate_raises_no_numpy_warning():
    """A construct of a rare yes/no item: many resamples give it no variance (their
    correlations NaN) and no estimate; the fit says so as a diagnostic, and numpy's
    'invalid value encountered in matmul' (HTMT's block sums) is not printed."""
    import crmsurvey as cs
    from crmsurvey.pls.quality import htmt

    rng = np.random.default_rng(3)
    n = 40
    f = rng.normal(size=n)
    data = pd.DataFrame({f"x{i}": np.clip(np.round(4 + f + rng.normal(size=n)), 1, 7)
                         for i in (1, 2, 3)})
    g = 0.5 * f + rng.normal(size=n)
    for i in (1, 2):
        data[f"y{i}"] = np.clip(np.round(4 + g + rng.normal(size=n)), 1, 7)
    data["c1"] = 0.0
    data.loc[:1, "c1"] = 1.0  # 2 of 40
    data["c2"] = data["c1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)  # the worded diagnostics
        res = cs.pls("X =~ x1 + x2 + x3\nY =~ y1 + y2\nC =~ c1 + c2\nY ~ X + C", data,
                     bootstrap=200, seed=1, scale=(0, 7))
        assert "bootstrap_failures" in {d.code for d in res.diagnostics}

        # HTMT itself: a draw of NaN or inf correlations stays NaN, silently
        class Blocks:
            mask = np.array([[1.0, 0], [1, 0], [0, 1], [0, 1]])
            k = 2
        r = np.tile(np.eye(4) * 0.5 + 0.5, (3, 1, 1))
        r[1], r[2] = np.nan, np.inf
        out = htmt(r, Blocks())
    assert np.isfinite(out[0, 0, 1]) and np.isnan(out[1:, 0, 1]).all()


# --- the demo report (the shared session run) --------------------------------------

@pytest.fixture(scope="module")
def demo(bundled_runs):
    return bundled_runs["demo_ccsi"]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_demo_index_chart_follows_the_table(demo, lang, monkeypatch):
    """The chart the report draws: its groups top-down and its legend in the order of
    the scores table's rows, the client's group the one emphasised; the three charts of
    satisfaction by customer segment share one x range; the IPMA's hollow points are
    the rows its table tags as not levers."""
    from crmsurvey.report.context import build_context

    seen: dict = {"index": [], "means": [], "ipma": []}
    index_figure, mean_figure, ipma_figure = (charts.index_figure, charts.mean_figure,
                                              charts.ipma_figure)

    def spy(name, real):
        def wrapped(*args, **kwargs):
            out = real(*args, **kwargs)
            seen[name].append((args, kwargs, out))
            return out
        return wrapped
    monkeypatch.setattr(charts, "index_figure", spy("index", index_figure))
    monkeypatch.setattr(charts, "mean_figure", spy("means", mean_figure))
    monkeypatch.setattr(charts, "ipma_figure", spy("ipma", ipma_figure))
    ctx = build_context(demo.results(), lang)

    args, _, (fig, ax, points) = seen["index"][0]
    table = [r["label"] for r in ctx["current_rows"]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == table
    groups, names = args[3], args[4]
    first = args[1][0]
    top_down = sorted((q for q in points if q["construct"] == first), key=lambda q: -q["y"])
    assert [names[q["group"]] for q in top_down] == table
    client = [r["label"] for r in ctx["current_rows"] if r["client"] and not r["overall"]]
    bold = {t.get_text() for t in ax.get_legend().get_texts() if t.get_fontweight() == "bold"}
    assert bold == set(client) and len(client) == 1
    assert ctx["index_chart_client"] == client[0]

    assert len(seen["means"]) >= 2
    assert len({out[1].get_xlim() for _, _, out in seen["means"]}) == 1

    hollow = seen["ipma"][0][2][2]["context"]
    tagged = [r for r in ctx["ipma_rows"] if r["tag"]]
    assert hollow is not None and len(hollow.get_offsets()) == len(tagged)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_demo_charts_have_captions_from_the_catalogue(demo, lang):
    """The index chart's caption of its own (what is plotted, the order, the client) and
    the IPMA caption's sentence on hollow markers, worded in the report's language."""
    import html as html_lib

    from crmsurvey.report.i18n import strings

    t = strings(lang)
    page = html_lib.unescape(demo.html(lang))
    caption = t["index_chart_caption"]
    before, _, after = caption.partition("{level}")
    assert before in page and after in page
    client = t["index_chart_client"].partition("{group}")
    assert client[0] in page and client[2] in page
    # a plural entry (one hollow marker or several): one of its forms
    forms = getattr(t["ipma_note_context"], "forms", (t["ipma_note_context"],))
    assert any(f.partition("{others}")[0] in page and f.partition("{others}")[2] in page
               for f in forms)


def test_path_diagram_names_of_two_lines_stay_clear_of_the_r2_line():
    """In the path diagram each construct's name (wrapped to two lines where long, as
    "Perceived / quality") and its "R² 0.xx" line do not overlap, and both lie inside
    the construct's box (page review: "quality" ran into "R² 0.24")."""
    from matplotlib.patches import FancyBboxPatch

    edges = [("EXPE", "IMAG"), ("QUAL", "EXPE"), ("VAL", "EXPE"), ("VAL", "QUAL"),
             ("SAT", "IMAG"), ("SAT", "EXPE"), ("SAT", "QUAL"), ("SAT", "VAL"),
             ("COMP", "SAT"), ("LOY", "IMAG"), ("LOY", "SAT"), ("LOY", "COMP")]
    labels = {"IMAG": "Image", "EXPE": "Expected quality", "QUAL": "Perceived quality",
              "VAL": "Perceived value of the offer", "SAT": "Satisfaction",
              "COMP": "Complaints", "LOY": "Loyalty"}
    names = list(dict.fromkeys(n for e in reversed(edges) for n in reversed(e)))
    paths = [{"lhs": a, "rhs": b, "est": 0.3, "ci_lower": 0.1, "ci_upper": 0.5}
             for a, b in edges]
    r2 = {n: 0.24 for n, _ in edges}
    fig, ax, lay, _ = charts.path_figure(names, paths, r2, labels)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in ax.patches
             if isinstance(p, FancyBboxPatch)]
    texts = [t for t in ax.texts if t.get_bbox_patch() is None]  # coefficients have one
    two_lines = 0
    for box in boxes:
        extents = [t.get_window_extent(renderer) for t in texts]
        inside = [e for e in extents
                  if box.contains((e.x0 + e.x1) / 2, (e.y0 + e.y1) / 2)]
        assert inside, box
        for t in inside:
            assert box.x0 <= t.x0 and t.x1 <= box.x1 and box.y0 <= t.y0 and t.y1 <= box.y1
        if len(inside) == 2:  # a name and its R²
            top, bottom = sorted(inside, key=lambda b: -b.y0)
            assert bottom.y1 <= top.y0  # no overlap
            two_lines += top.height > 1.6 * bottom.height
    charts._plt().close(fig)
    assert two_lines >= 2  # the wrapped names were among them
