"""lavaan's parameter table: the model syntax read in full, with lavaan's defaults added.

:func:`parse_syntax` reads every statement of lavaan's model syntax (``=~ ~ ~~ ~1 == :=``)
with its modifiers — fixed values (``1*x``, ``0*x``), ``NA*x`` (free), labels (``a*x``),
``start(0.5)*x``, and per-group vectors ``c(a, b)*x`` / ``c(1, NA)*x``. :func:`partable`
then builds lavaan's table (one row per parameter, fixed and free; columns ``id lhs op
rhs user block group free ustart exo label plabel``) by lavaan's rules (``cfa()``/
``sem()`` defaults): residual variances of every observed and latent variable (0 for a
factor's lone indicator), covariances among exogenous factors and among purely dependent variables, the first
loading of each factor fixed to 1 (``auto_fix_first``) or the factor variances to 1
(``std_lv``), ``orthogonal`` factors, observed exogenous covariates fixed at their sample
moments (``fixed.x``, ``exo = 1``), intercepts when there is a mean structure (free for
observed variables, 0 for latent ones), and an ``==`` row (``user = 2``) for every label
shared by several parameters. The user's modifiers override the defaults.

:func:`constraints` turns the table's ``==`` rows into the map the estimators use:
``θ_rows = K θ + c`` from the unique parameters ``θ`` to the free rows; its column count
is lavaan's ``npar``.

Examples
--------
>>> pt = partable("A =~ NA*a1 + a2 + a3\\nA ~~ 1*A")
>>> pt.free.tolist()[:4], pt.ustart.tolist()[3]      # a1 free, A's variance fixed at 1
([1, 2, 3, 0], 1.0)
>>> constraints(partable("A =~ a1 + l*a2 + l*a3")).npar   # a2 and a3 share one parameter
5
"""
from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["Flat", "parse_syntax", "partable", "Variables", "variables", "constraints",
           "free_rows", "needs_meanstructure", "records", "COLUMNS"]

COLUMNS = ["id", "lhs", "op", "rhs", "user", "block", "group", "free", "ustart", "exo",
           "label", "plabel"]
_OP = re.compile(r":=|==|=~|<~|~\*~|~~|~|<|>|\|")
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_FREE, _UNSET = "NA", None


@dataclass
class Flat:
    """One statement term: ``lhs op rhs`` with its modifiers (each a value per group or a
    single value for all groups) and the line it was written on."""

    lhs: str
    op: str
    rhs: str
    line: int
    fixed: list | None = None  # numbers or "NA" (free), per group
    label: list | None = None
    start: list | None = None


def records(df: pd.DataFrame) -> list:
    """The rows of a frame as light named tuples (pandas' own ``itertuples`` reads each
    cell through the indexer: slow for the many small tables of a fit)."""
    row = _row_type(tuple(df.columns))
    return [row(*values) for values in zip(*(df[c].to_numpy() for c in df.columns))]


_ROW_TYPES: dict = {}


def _row_type(columns: tuple):
    if columns not in _ROW_TYPES:
        _ROW_TYPES[columns] = namedtuple("Row", columns, rename=True)
    return _ROW_TYPES[columns]


def _fail(msg: str, line: int, hint: str | None = None):
    raise InputError(f"cannot read the model: {msg}", path="model", line=line or None,
                     hint=hint)


def _statements(text: str):
    """(line, statement) with comments removed, ';' split and '+'/operator continuations
    joined."""
    pending, start = "", 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        for part in raw.split("#", 1)[0].split("!", 1)[0].split(";"):
            part = part.strip()
            if not part:
                continue
            if pending and (re.search(r"(\+|\*|=~|~~|~|,|\()$", pending)
                            or part.startswith(("+", "*"))):
                pending += " " + part
                continue
            if pending:
                yield start, pending
            pending, start = part, lineno
    if pending:
        yield start, pending


def _split_top(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def _value(tok: str, line: int):
    """A modifier element: a float, "NA", or a label (str)."""
    tok = tok.strip()
    if _NUMBER.match(tok):
        return float(tok)
    if tok == "NA":
        return _FREE
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "\"'":
        tok = tok[1:-1]
    if not _NAME.match(tok):
        _fail(f"{tok!r} is not a number, NA or a label", line)
    return tok


def _vector(text: str, line: int) -> list:
    m = re.fullmatch(r"c\((.*)\)", text.strip(), re.S)
    parts = _split_top(m.group(1), ",") if m else [text]
    return [_value(p, line) for p in parts]


def _modifiers(flat: Flat, mods: list[str]) -> None:
    for mod in mods:
        mod = mod.strip()
        m = re.fullmatch(r"(start|label|equal)\((.*)\)", mod, re.S)
        if m:
            kind, vals = m.group(1), _vector(m.group(2), flat.line)
            if kind == "start":
                if any(not isinstance(v, float) for v in vals):
                    _fail(f"start() takes numbers, not {m.group(2)!r}", flat.line)
                flat.start = vals
            else:
                flat.label = [v if isinstance(v, str) and v != _FREE else
                              _fail(f"{kind}() takes a label", flat.line) for v in vals]
            continue
        vals = _vector(mod, flat.line)
        if all(isinstance(v, str) and v != _FREE for v in vals):
            flat.label = vals
        elif all(isinstance(v, float) or v == _FREE for v in vals):
            flat.fixed = vals
        else:  # c(a, 1): lavaan reads labels and values in one vector per group
            flat.fixed = [v if not isinstance(v, str) or v == _FREE else _FREE for v in vals]
            flat.label = [v if isinstance(v, str) and v != _FREE else "" for v in vals]


def _name(tok: str, line: int, what: str = "variable") -> str:
    tok = tok.strip()
    if not _NAME.match(tok):
        _fail(f"{tok!r} is not a {what} name", line)
    return tok


def parse_syntax(text: str) -> list[Flat]:
    """Every statement of lavaan model syntax as :class:`Flat` terms, in written order.

    A term written twice (``f =~ NA*x1 + x2; f =~ a*x1``) is one term with both
    modifiers. Errors raise :class:`~crmsurvey.errors.InputError` naming the line.
    """
    if not isinstance(text, str):
        raise InputError("model must be lavaan syntax (a string)")
    terms: dict[tuple[str, str, str], Flat] = {}
    out: list[Flat] = []
    for line, stmt in _statements(text):
        m = _OP.search(stmt)
        if m is None:
            _fail(f"no operator (=~, ~, ~~, ==, :=) in {stmt!r}", line)
        op = m.group(0)
        left, right = stmt[:m.start()].strip(), stmt[m.end():].strip()
        if not left or not right:
            _fail(f"{stmt!r} needs something on both sides of {op!r}", line)
        if op in (":=", "==", "<", ">"):
            if op == ":=":
                _name(left, line, "defined parameter")
            out.append(Flat(left.replace(" ", ""), op, right.replace(" ", ""), line))
            continue
        if op == "~*~":
            _fail("scaling factors (~*~) are not supported here", line)
        lhs_names = [_name(t, line) for t in _split_top(left, "+")]
        for lhs in lhs_names:
            for term in _split_top(right, "+"):
                parts = [p.strip() for p in _split_top(term, "*")]
                if not parts[-1]:
                    _fail(f"empty term in {stmt!r}", line)
                rhs, this_op = parts[-1], op
                if op == "~" and rhs in ("1", "1.0"):
                    rhs, this_op = "", "~1"
                elif op == "|":
                    if not re.fullmatch(r"t\d+", rhs):
                        _fail(f"a threshold is written t1, t2, …, not {rhs!r}", line)
                else:
                    rhs = _name(rhs, line)
                if this_op == "~~" and (rhs, this_op, lhs) in terms:
                    lhs, rhs = rhs, lhs
                key = (lhs, this_op, rhs)
                flat = terms.get(key)
                if flat is None:
                    flat = terms[key] = Flat(lhs, this_op, rhs, line)
                    out.append(flat)
                _modifiers(flat, parts[:-1])
    if not any(f.op in ("=~", "~", "~~", "<~", "~1") for f in out):
        raise InputError("the model has no parameters (no =~, ~ or ~~ line)", path="model")
    return out


@dataclass(frozen=True)
class Variables:
    """Variables of a model by lavaan's kinds (each in lavaan's order)."""

    lv: tuple[str, ...]  # latent: left of =~ (and <~)
    ov: tuple[str, ...]  # observed: indicators, dependent, exogenous, the rest
    ov_x: tuple[str, ...]  # exogenous observed covariates (fixed.x)
    lv_x: tuple[str, ...]  # exogenous latent variables
    y: tuple[str, ...]  # purely dependent latent and observed variables (auto.cov.y)
    ov_ind: tuple[str, ...]


def _unique(seq) -> list:
    return list(dict.fromkeys(seq))


def variables(flat: list[Flat]) -> Variables:
    """lavaan's ``lav_partable_vnames`` for one block."""
    lv = _unique(f.lhs for f in flat if f.op in ("=~", "<~"))
    v_ind = _unique(f.rhs for f in flat if f.op == "=~")
    eqs_y = _unique(f.lhs for f in flat if f.op == "~")
    eqs_x = _unique(f.rhs for f in flat if f.op in ("~", "<~"))
    ov_ind = [v for v in v_ind if v not in lv]
    ov_y = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y]
    extra = [f.lhs for f in flat if f.op == "~~" and f.lhs not in lv] + \
        [f.rhs for f in flat if f.op == "~~" and f.rhs not in lv] + \
        [f.lhs for f in flat if f.op in ("~1", "|") and f.lhs not in lv]
    ov = _unique(ov_ind + ov_y + ov_x + extra)
    user_vars = {f.lhs for f in flat if f.op in ("~1", "~~")} | \
        {f.rhs for f in flat if f.op == "~~"}
    ov_x = [v for v in ov_x if v not in user_vars]
    lv_x = [v for v in lv if v not in v_ind and v not in eqs_y]
    pure_y = [v for v in eqs_y if v not in v_ind and v not in eqs_x]
    y = [v for v in lv if v in pure_y] + [v for v in ov if v in pure_y and v not in lv]
    return Variables(tuple(lv), tuple(ov), tuple(ov_x), tuple(lv_x), tuple(y), tuple(ov_ind))


def needs_meanstructure(flat: list[Flat], *, group: bool = False, fiml: bool = False,
                        ordered: bool = False, meanstructure: bool | None = None) -> bool:
    """lavaan's rule: a mean structure when asked, when the syntax has ``~1``, with
    ``group=``, with FIML (``missing = "ml"``) and with ordered data; otherwise none."""
    if meanstructure is not None:
        return bool(meanstructure) or fiml
    return any(f.op == "~1" for f in flat) or group or fiml or ordered


def _per_group(values: list | None, g: int, ngroups: int, flat: Flat, what: str):
    if values is None:
        return _UNSET
    if len(values) == 1:
        return values[0]
    if len(values) != ngroups:
        _fail(f"{flat.lhs} {flat.op} {flat.rhs}: {len(values)} {what} for {ngroups} "
              "group(s)", flat.line, hint="give one value, or one per group: c(a, b)")
    return values[g]


def partable(syntax: str | list[Flat], *, ngroups: int = 1, meanstructure: bool = False,
             std_lv: bool = False, auto_fix_first: bool | None = None,
             orthogonal: bool = False, fixed_x: bool = True) -> pd.DataFrame:
    """lavaan's parameter table of ``syntax`` (``lavaanify`` with ``sem()``'s defaults).

    Parameters
    ----------
    syntax : lavaan model syntax, or its :func:`parse_syntax` terms
    ngroups : number of groups (blocks); ``c(...)`` modifiers give one value per group
    meanstructure : add intercepts (``~1``) — see :func:`needs_meanstructure`
    std_lv : identify factors by fixing their variances to 1 (loadings all free)
    auto_fix_first : fix each factor's first loading to 1 (default: ``not std_lv``)
    orthogonal : fix the covariances among factors to 0
    fixed_x : observed exogenous covariates keep their sample moments (``exo = 1``)
    """
    flat = parse_syntax(syntax) if isinstance(syntax, str) else syntax
    if auto_fix_first is None:
        auto_fix_first = not std_lv
    flat = _reorder_covariances(flat)
    v = variables(flat)
    lv, ov_nox = list(v.lv), [o for o in v.ov if o not in v.ov_x]
    user = [f for f in flat if f.op in ("=~", "~", "~~", "~1", "<~", "|")]
    seen = {(f.lhs, f.op, f.rhs) for f in user} | {(f.rhs, f.op, f.lhs) for f in user
                                                   if f.op == "~~"}
    default = [(x, "~~", x) for x in ov_nox + lv]
    default += [(a, "~~", b) for a, b in combinations(v.lv_x, 2)]
    default += [(a, "~~", b) for a, b in combinations(v.y, 2)]
    default += [(v.ov_x[j], "~~", v.ov_x[i]) for j in range(len(v.ov_x))
                for i in range(j, len(v.ov_x))]
    if meanstructure:
        default += [(x, "~1", "") for x in list(v.ov) + lv]
    default = [d for d in default if d not in seen]
    base = [dict(lhs=f.lhs, op=f.op, rhs=f.rhs, user=1, flat=f) for f in user] + \
        [dict(lhs=a, op=o, rhs=b, user=0, flat=None) for a, o, b in default]
    for r in base:
        r.update(free=True, ustart=np.nan, exo=0)
        lhs, op, rhs = r["lhs"], r["op"], r["rhs"]
        if op == "~~" and lhs == rhs and std_lv and lhs in lv:
            r.update(free=False, ustart=1.0)
        if op == "~~" and lhs != rhs and orthogonal and lhs in lv and rhs in lv \
                and not r["user"]:
            r.update(free=False, ustart=0.0)
        if op == "~1" and not r["user"] and lhs in lv:
            r.update(free=False, ustart=0.0)
        if fixed_x and not r["user"] and lhs in v.ov_x and (
                op == "~1" or (op == "~~" and rhs in v.ov_x)):
            r.update(free=False, ustart=np.nan, exo=1)
    counts: dict[str, int] = {}
    for r in base:
        if r["op"] == "=~":
            counts[r["lhs"]] = counts.get(r["lhs"], 0) + 1
            counts[" " + r["rhs"]] = counts.get(" " + r["rhs"], 0) + 1
    single = {r["rhs"] for r in base if r["op"] == "=~" and counts[r["lhs"]] == 1
              and counts[" " + r["rhs"]] == 1 and r["rhs"] != r["lhs"]}
    for r in base:  # lavaan's auto.fix.single: a lone indicator has no error variance
        if r["op"] == "~~" and r["lhs"] == r["rhs"] in single and not r["user"]:
            r.update(free=False, ustart=0.0)
    if auto_fix_first:
        firsts = set()
        for r in base:
            if r["op"] == "=~" and r["lhs"] not in firsts:
                firsts.add(r["lhs"])
                r.update(free=False, ustart=1.0)
    rows = []
    for g in range(ngroups):
        for r in base:
            row = {k: r[k] for k in ("lhs", "op", "rhs", "user", "free", "ustart", "exo")}
            row.update(block=g + 1, group=g + 1, label="")
            f = r["flat"]
            if f is not None:
                fixed = _per_group(f.fixed, g, ngroups, f, "values")
                if fixed == _FREE:
                    row.update(free=True, ustart=np.nan)
                elif fixed is not _UNSET:
                    row.update(free=False, ustart=fixed)
                start = _per_group(f.start, g, ngroups, f, "start values")
                if start is not _UNSET and row["free"]:
                    row["ustart"] = start
                label = _per_group(f.label, g, ngroups, f, "labels")
                row["label"] = label or ""
            rows.append(row)
    pt = pd.DataFrame(rows)
    pt["id"] = np.arange(1, len(pt) + 1)
    pt["plabel"] = [f".p{i}." for i in pt.id]
    pt = numbered(pt, flat)
    _check(pt, flat, v)
    return pt


def numbered(pt: pd.DataFrame, flat) -> pd.DataFrame:
    """The table's free parameters numbered 1…npar in row order, then the rows of the
    constraints and definitions (``==``, ``:=``, ``<``, ``>``, and the equalities that shared
    labels imply) appended, in lavaan's column types."""
    free = (pt.free > 0).to_numpy()
    pt["free"] = 0
    pt.loc[free, "free"] = np.arange(1, free.sum() + 1)
    extra = [dict(lhs=f.lhs, op=f.op, rhs=f.rhs, user=1, block=0, group=0, free=0,
                  ustart=np.nan, exo=0, label=f.lhs if f.op == ":=" else "", plabel="")
             for f in flat if f.op in ("==", ":=", "<", ">")] + _label_equalities(pt)
    if extra:
        more = pd.DataFrame(extra)
        more["id"] = np.arange(len(pt) + 1, len(pt) + len(more) + 1)
        pt = pd.concat([pt, more], ignore_index=True)
    return pt[COLUMNS].astype({"user": int, "block": int, "group": int, "free": int,
                               "exo": int, "ustart": float})


def _reorder_covariances(flat: list[Flat]) -> list[Flat]:
    """lavaan writes a covariance with the variable that comes first (latent variables,
    then observed ones, in its order) on the left."""
    v = variables(flat)
    order = {name: k for k, name in enumerate(v.lv + v.ov)}
    out = []
    for f in flat:
        if f.op == "~~" and order.get(f.lhs, 0) > order.get(f.rhs, 0):
            f = replace(f, lhs=f.rhs, rhs=f.lhs)
        out.append(f)
    return out


def _label_equalities(pt: pd.DataFrame) -> list[dict]:
    """lavaan's ``==`` rows (user 2) tying every further use of a label to its first."""
    out = []
    for label, rows in pt[pt.label != ""].groupby("label", sort=False):
        first = rows.iloc[0]
        for r in records(rows.iloc[1:]):
            out.append(dict(lhs=first.plabel, op="==", rhs=r.plabel, user=2, block=0,
                            group=0, free=0, ustart=np.nan, exo=0, label="", plabel=""))
    return out


def _check(pt: pd.DataFrame, flat: list[Flat], v: Variables) -> None:
    for f in flat:
        if f.op == "=~" and f.lhs == f.rhs:
            _fail(f"{f.lhs!r} cannot measure itself", f.line)
    clash = set(pt.label[pt.label != ""]) & (set(v.ov) | set(v.lv))
    if clash:
        name = sorted(clash)[0]
        line = next((f.line for f in flat if f.label and name in f.label), 0)
        _fail(f"label {name!r} is also a variable name", line,
              hint="labels name parameters; choose another label")


@dataclass(frozen=True, eq=False)
class Constraints:
    """The map from unique parameters to the table's free rows: ``θ_rows = K θ + c``;
    ``npar`` (lavaan's) is the number of columns of ``K``."""

    k: np.ndarray  # (n_free_rows, npar)
    c: np.ndarray  # (n_free_rows,)

    @property
    def npar(self) -> int:
        return self.k.shape[1]

    @property
    def trivial(self) -> bool:
        return self.k.shape[0] == self.k.shape[1]


def free_rows(pt: pd.DataFrame, with_means: bool = False) -> pd.DataFrame:
    """The free rows the estimators' parameter vectors follow: the ``=~``, ``~``, ``~~``
    rows in the table's order; ``with_means``, group by group, those and then the
    group's free intercepts (``~1``)."""
    cov = pt.op.isin(["=~", "~", "~~"]) & (pt.free > 0)
    if not with_means:
        return pt[cov]
    mean = (pt.op == "~1") & (pt.free > 0)
    groups = sorted(set(pt.group[pt.group > 0]))
    return pd.concat([pt[part & (pt.group == g)] for g in groups for part in (cov, mean)])


def constraints(pt: pd.DataFrame, with_means: bool = False) -> Constraints:
    """Equality constraints among the table's free rows (:func:`free_rows`; shared labels
    and ``a == b``, ``a == 0.5``) as :class:`Constraints`; others (``a == 2*b``, ``<``,
    ``>``) are refused. Without ``with_means`` intercepts are saturated, counted apart."""
    mean_rows = pt[pt.op == "~1"]
    skip = set() if with_means else \
        set(mean_rows.plabel) | set(mean_rows.label[mean_rows.label != ""])
    return equalities(free_rows(pt, with_means), pt, skip=skip)


def equalities(rows: pd.DataFrame, pt: pd.DataFrame, skip: set = frozenset()) -> Constraints:
    """``x = K u + c`` over the free ``rows`` (in their order) of table ``pt``: rows sharing a
    label, ``a == b`` and ``a == number`` (or a fixed, labelled value) tie or fix them;
    constraints naming anything in ``skip`` are left to the caller; inequalities are
    refused. Equal rows are merged with a union–find over the rows."""
    q = len(rows)
    index = {}  # name (plabel or label) → free-row number
    for k, r in enumerate(records(rows)):
        index[r.plabel] = k
        if r.label:
            index.setdefault(r.label, k)
    fixed_by_name = {r.label: r.ustart for r in records(pt[(pt.free == 0) & (pt.label != "")
                                                           & (pt.group > 0)])}
    parent = list(range(q))
    value: dict[int, float] = {}

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for k, r in enumerate(records(rows)):
        if r.label and index[r.label] != k:
            parent[root(k)] = root(index[r.label])
    for r in records(pt[pt.op.isin(["==", "<", ">"])]):
        if r.lhs in skip or r.rhs in skip:
            continue
        if r.op != "==":
            raise InputError(f"inequality constraints ({r.lhs} {r.op} {r.rhs}) are not "
                             "supported here", path="model")
        sides = []
        for side in (r.lhs, r.rhs):
            if side in index:
                sides.append(("p", index[side]))
            elif _NUMBER.match(side):
                sides.append(("v", float(side)))
            elif side in fixed_by_name:
                sides.append(("v", float(fixed_by_name[side])))
            else:
                raise InputError(
                    f"constraint {r.lhs} == {r.rhs}: only equalities between labels, or a "
                    f"label and a number, are supported here ({side!r} is neither)",
                    path="model", hint="write the parameters with a shared label instead")
        (ka, a), (kb, b) = sides
        if ka == "p" and kb == "p":
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[rb] = ra
                if rb in value:
                    value[ra] = value.pop(rb)
        elif ka == "p" or kb == "p":
            p_, val = (a, b) if ka == "p" else (b, a)
            value[root(p_)] = val
    roots = _unique(root(i) for i in range(q))
    free_roots = [r for r in roots if r not in value]
    col = {r: j for j, r in enumerate(free_roots)}
    k = np.zeros((q, len(free_roots)))
    c = np.zeros(q)
    for i in range(q):
        r = root(i)
        if r in value:
            c[i] = value[r]
        else:
            k[i, col[r]] = 1.0
    return Constraints(k, c)
