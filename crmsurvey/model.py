"""Model specifications in lavaan syntax.

``=~`` a reflective block (PLS mode A), ``<~`` a composite block (mode B), ``~`` a
regression between constructs, ``~~`` a (residual) covariance. Comments start with
``#``; statements are separated by new lines or ``;``; a line ending in ``+`` goes on.
Numeric or label modifiers (``0.5*x``, ``a*x``) are kept for CB-SEM but ignored by PLS.

For PLS: ``A:B`` on the right of ``~`` is an interaction term (``A:A`` a quadratic
effect); a block made of constructs (``QUAL =~ QP + QS``) is a higher-order construct.

Examples
--------
>>> spec = parse_model('''
... Satisfaction =~ sat1 + sat2 + sat3
... Loyalty      =~ loy1 + loy2
... Loyalty ~ Satisfaction
... ''')
>>> spec.constructs[0].items
('sat1', 'sat2', 'sat3')
>>> spec.paths
(('Loyalty', 'Satisfaction'),)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .errors import ModelSyntaxError

__all__ = ["Construct", "ModelSpec", "parse_model", "find_cycle"]

_OPS = ("=~", "<~", "~~", "~")  # longest first
_NAME = re.compile(r"^[A-Za-z_\.][A-Za-z0-9_\.]*$")
_MODIFIED = re.compile(r"^(?P<mod>[^*]+)\*(?P<name>.+)$")


@dataclass(frozen=True)
class Construct:
    """A construct and its block of items; ``mode`` 'A' (``=~``) or 'B' (``<~``)."""

    name: str
    items: tuple[str, ...]
    mode: Literal["A", "B"] = "A"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model: measurement blocks, structural paths, covariances.

    ``paths`` are ``(outcome, predictor)`` pairs in the order written.
    """

    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]
    covariances: tuple[tuple[str, str], ...] = ()
    syntax: str = field(default="", compare=False)

    @property
    def construct_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.constructs)

    @property
    def items(self) -> tuple[str, ...]:
        """Every item, in block order."""
        return tuple(i for c in self.constructs for i in c.items)

    @property
    def interactions(self) -> tuple[str, ...]:
        """Interaction terms used as predictors (``"A:B"``), in the order written."""
        return tuple(dict.fromkeys(rhs for _, rhs in self.paths if ":" in rhs))

    @property
    def higher_order(self) -> tuple[str, ...]:
        """Constructs whose block is made of other constructs (their dimensions)."""
        names = set(self.construct_names)
        return tuple(c.name for c in self.constructs if set(c.items) & names)

    def construct(self, name: str) -> Construct:
        for c in self.constructs:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_lavaan(self) -> str:
        """The model as lavaan syntax (blocks, then paths, then covariances)."""
        width = max((len(c.name) for c in self.constructs), default=0)
        lines = [
            f"{c.name:<{width}} {'=~' if c.mode == 'A' else '<~'} {' + '.join(c.items)}"
            for c in self.constructs
        ]
        by_outcome: dict[str, list[str]] = {}
        for lhs, rhs in self.paths:
            by_outcome.setdefault(lhs, []).append(rhs)
        lines += [f"{lhs:<{width}} ~ {' + '.join(r)}" for lhs, r in by_outcome.items()]
        lines += [f"{a} ~~ {b}" for a, b in self.covariances]
        return "\n".join(lines) + "\n"


def _statements(text: str):
    """Yield (line number, column, statement) with comments removed and '+' joined."""
    pending, start = "", (0, 0)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].split("!", 1)[0]
        for part in line.split(";"):
            stripped = part.strip()
            if not stripped:
                continue
            col = part.find(stripped) + 1 + (line.find(part) if part else 0)
            if pending and (pending.endswith("+") or stripped.startswith("+")):
                pending += " " + stripped
                continue
            if pending:
                yield (*start, pending)
            pending, start = stripped, (lineno, col)
    if pending:
        yield (*start, pending)


def _term(term: str, lineno: int, col: int, source: str | None,
          interaction: bool = False) -> str:
    term = term.strip()
    m = _MODIFIED.match(term)
    if m:
        term = m.group("name").strip()
    if interaction and ":" in term:
        parts = [_term(t, lineno, col, source) for t in term.split(":")]
        if len(parts) != 2:
            raise ModelSyntaxError(f"{term!r}: an interaction term joins two constructs "
                                   "(A:B)", path=source, line=lineno, column=col)
        return ":".join(parts)
    if not _NAME.match(term):
        raise ModelSyntaxError(f"cannot read {term!r} as a variable name",
                               path=source, line=lineno, column=col)
    return term


def parse_model(text: str, *, source: str | None = None) -> ModelSpec:
    """Parse lavaan model syntax into a :class:`ModelSpec`.

    Errors raise :class:`~crmsurvey.errors.ModelSyntaxError` naming the line and the
    offending text. ``source`` names the file in such messages.
    """
    blocks: dict[str, Construct] = {}
    paths: list[tuple[str, str]] = []
    covs: list[tuple[str, str]] = []
    for lineno, col, stmt in _statements(text):
        op = next((o for o in _OPS if o in stmt), None)
        if op is None:
            raise ModelSyntaxError(f"no operator (=~, <~, ~, ~~) in {stmt!r}",
                                   path=source or "model", line=lineno, column=col)
        lhs_text, rhs_text = stmt.split(op, 1)
        lhs = _term(lhs_text, lineno, col, source or "model")
        rhs = [_term(t, lineno, col, source or "model", interaction=op == "~")
               for t in rhs_text.split("+")]
        if op in ("=~", "<~"):
            if lhs in blocks:
                raise ModelSyntaxError(f"construct {lhs!r} is defined twice",
                                       path=source or "model", line=lineno, column=col)
            blocks[lhs] = Construct(lhs, tuple(rhs), "A" if op == "=~" else "B")
        elif op == "~":
            paths += [(lhs, r) for r in rhs]
        else:
            covs += [(lhs, r) for r in rhs]
    if not blocks:
        raise ModelSyntaxError("the model defines no construct (no '=~' or '<~' line)",
                               path=source or "model")
    return ModelSpec(tuple(blocks.values()), tuple(paths), tuple(covs), syntax=text)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``outcome → {predictors}``, as predictor → … → predictor, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return (stack[stack.index(nxt):] + [nxt])[::-1]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None
