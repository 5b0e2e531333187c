"""lavaan's defined parameters: ``ab := a*b`` over labelled parameters (``dem60 ~ a*ind60``).

Expressions are arithmetic on labels and numbers (``+ - * / **``, parentheses, and
``sqrt``, ``exp``, ``log``, ``abs``), read with :mod:`ast` — never run as code. Standard
errors by the delta method ``sqrt(g' V g)`` with the gradient ``g`` by central
differences; with a bootstrap, the expression is evaluated on every resample's estimates
(bootstrap SE and percentile interval), as lavaan does. ``std_lv``/``std_all`` evaluate
the expression on the labelled parameters' standardised values (lavaan's
``standardizedSolution``).
"""
from __future__ import annotations

import ast
import math
import re

import numpy as np
import pandas as pd

from ..errors import InputError
from .numeric import jacobian
from .tables import inference

__all__ = ["split_defined", "defined_rows"]

_FUNCS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs}
_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.divide, ast.Pow: np.power}


def split_defined(syntax: str) -> tuple[str, list[tuple[str, str, ast.AST, int]]]:
    """The syntax without ``:=`` lines, and each definition (name, text, tree, line)."""
    keep, defs = [], []
    for lineno, line in enumerate(syntax.splitlines(), 1):
        body = line.split("#", 1)[0]
        if ":=" not in body:
            keep.append(line)
            continue
        name, expr = (t.strip() for t in body.split(":=", 1))
        if not re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", name) or not expr:
            raise InputError(f"model line {lineno}: write a defined parameter as "
                             f"'name := expression', not {body.strip()!r}")
        try:
            tree = ast.parse(expr.replace(".", "_DOT_"), mode="eval").body
        except SyntaxError:
            raise InputError(f"model line {lineno}: cannot read {expr!r} as an expression"
                             ) from None
        _check(tree, lineno)
        defs.append((name, expr, tree, lineno))
    return "\n".join(keep) + "\n", defs


def _check(node: ast.AST, lineno: int) -> None:
    ok = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.USub, ast.UAdd, ast.Constant, ast.Name,
          ast.Load, ast.Call, *_BINOPS)
    for n in ast.walk(node):
        if not isinstance(n, ok):
            raise InputError(f"model line {lineno}: only arithmetic on labels is allowed in "
                             f"a defined parameter ({type(n).__name__} found)")
        if isinstance(n, ast.Call) and (not isinstance(n.func, ast.Name)
                                        or n.func.id not in _FUNCS or n.keywords):
            raise InputError(f"model line {lineno}: functions allowed are "
                             f"{', '.join(_FUNCS)}")
        if isinstance(n, ast.Constant) and not isinstance(n.value, (int, float)):
            raise InputError(f"model line {lineno}: {n.value!r} is not a number")


def _names(tree: ast.AST) -> set[str]:
    return {n.id.replace("_DOT_", ".") for n in ast.walk(tree)
            if isinstance(n, ast.Name) and not (n.id in _FUNCS)}


def _eval(node: ast.AST, values: dict):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id.replace("_DOT_", ".")]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    return _FUNCS[node.func.id](*(_eval(a, values) for a in node.args))


def defined_rows(defs, est: pd.DataFrame, names: list[str], theta: np.ndarray,
                 cov: np.ndarray | None, ci: float, draws: np.ndarray | None = None
                 ) -> pd.DataFrame:
    """One ``:=`` row per definition (``names``: the label of each free parameter)."""
    index = {n: k for k, n in enumerate(names)}
    labelled = est.dropna(subset=["label"]).drop_duplicates("label").set_index("label")
    rows = []
    for name, text, tree, lineno in defs:
        unknown = sorted(_names(tree) - set(labelled.index) - set(index))
        if unknown:
            raise InputError(f"model line {lineno}: {name} uses {unknown[0]!r}, which labels "
                             "no parameter (write it as a*x in the model)")
        used = sorted(_names(tree) & set(index))

        def value(vec):
            vals = {n: labelled.loc[n, "est"] for n in _names(tree)}
            vals.update({n: vec[..., index[n]] for n in used})
            return _eval(tree, vals)

        est_v = float(value(theta))
        if draws is not None:
            d = np.asarray(value(draws), dtype=float)
            se = float(np.nanstd(d, ddof=1))
            lo, hi = np.nanquantile(d, [(1 - ci) / 2, (1 + ci) / 2])
        else:
            se = _delta_se(value, theta, [index[n] for n in used], cov)
        z, p, normal_lo, normal_hi = (float(v) for v in inference(est_v, se, ci))
        if draws is None:
            lo, hi = normal_lo, normal_hi
        std = {col: float(_eval(tree, {n: labelled.loc[n, col] for n in _names(tree)}))
               for col in ("std_lv", "std_all")}
        rows.append({"lhs": name, "op": ":=", "rhs": text, "est": est_v, "se": se, "z": z,
                     "pvalue": p, "ci_lower": lo, "ci_upper": hi, **std, "free": False,
                     "label": name})
    return pd.DataFrame(rows, columns=est.columns)


def _delta_se(value, theta: np.ndarray, ks: list[int], cov) -> float:
    if cov is None:
        return math.nan
    g = jacobian(lambda v: np.atleast_1d(value(v)), theta, columns=ks)[0]
    return float(np.sqrt(g @ cov @ g))
