"""Study runs built once per test session and shared by its xdist workers.

A study run (``crmsurvey.pipeline.run`` in English, then the bundle copied and
re-rendered in Chinese with ``rerender``) takes seconds to minutes; several test files
read the same study. :func:`study_run` builds each distinct study once per session
into a folder under the session's base temporary directory — the parent of the
workers' own, as pytest-xdist recommends for sharing session fixtures — guarded by a
file lock, so the second worker that asks waits for the first one's bundle instead of
fitting the study again. The folder's name holds a hash of the study text: two tests
that ask for the same text share one run, and a changed text is a new run.

Tests must treat the bundles as read-only (copy a folder before changing it).

Example (in a test module)::

    from ._studies import study_run

    @pytest.fixture(scope="module")
    def brands(tmp_path_factory):
        return study_run(tmp_path_factory, "brands", STUDY_TEXT)

    def test_x(brands):
        html = brands.html("zh-CN")
        results = brands.results()
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

try:
    import fcntl
except ImportError:  # Windows: no flock; each worker builds its own copy
    fcntl = None

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies"
LANGS = ("en", "zh-CN")
#: the example studies of studies/ (targets_ccsi.yaml there is a weighting target file)
EXAMPLES = ("demo_ccsi", "example_file", "shape_single", "shape_waves", "shape_brands",
            "shape_segments", "shape_many_brands")

#: the report files of a bundle per language (``rerender`` writes the language's own)
_HTML = {"en": "report.html"}
_PDF = {"en": "report.pdf"}


def shared_root(tmp_path_factory) -> Path:
    """The folder every worker of this session sees: the base temporary directory, or
    its parent under pytest-xdist (each worker's base is ``<session>/popen-gwN``)."""
    base = Path(tmp_path_factory.getbasetemp())
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    root = base / "shared-studies"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (POSIX ``flock``; held by one worker at a time)."""
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """The shared folder ``name``, filled by ``build(folder)`` by the first worker that
    asks; the others wait for it and reuse it. A build that raised leaves no folder (the
    next caller tries again and sees the same error)."""
    root = shared_root(tmp_path_factory)
    folder = root / name
    done = root / f"{name}.done"
    if fcntl is None:  # no lock to share with: a folder of this worker's own
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        build(folder)
        return folder
    with _locked(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                build(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            done.touch()
    return folder


@dataclass(frozen=True)
class StudyRun:
    """One study's bundles: ``folder(lang)`` per language (English run, Chinese
    re-rendered from its results.json) and the input folder it ran from."""

    base: Path
    langs: Sequence[str] = LANGS
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def folder(self, lang: str = "en") -> Path:
        return self.base / lang

    def html_path(self, lang: str = "en") -> Path:
        return self.folder(lang) / _HTML.get(lang, f"report.{lang}.html")

    def pdf_path(self, lang: str = "en") -> Path:
        return self.folder(lang) / _PDF.get(lang, f"report.{lang}.pdf")

    def html(self, lang: str = "en") -> str:
        """The report's HTML text in ``lang`` (read once per worker)."""
        key = ("html", lang)
        if key not in self._cache:
            self._cache[key] = self.html_path(lang).read_text(encoding="utf-8")
        return self._cache[key]

    def pages(self) -> dict[str, str]:
        """{lang: HTML text} for every language of the run."""
        return {lang: self.html(lang) for lang in self.langs}

    def results_dict(self) -> dict:
        """results.json as plain JSON (a fresh copy: callers may change it)."""
        return json.loads((self.folder() / "results.json").read_text(encoding="utf-8"))

    def results(self):
        """results.json loaded as :class:`crmsurvey.study.results.Results` (a fresh
        object per call: callers may change it)."""
        from crmsurvey.study import load_results

        return load_results(self.folder() / "results.json")


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:12]


def study_run(tmp_path_factory, key: str, study: str | Path, *,
              files: Sequence[Path] = (), langs: Sequence[str] = LANGS) -> StudyRun:
    """``study`` run once per session in ``langs[0]`` and re-rendered in the others.

    ``study``: a study file (a path, e.g. ``STUDIES / "shape_single.yaml"``, run where
    it lies) or a study's YAML text (written to ``input/study.yaml`` beside copies of
    ``files`` — folders or files it reads by relative path). ``key`` names the run's
    folder; the folder also carries a hash of the study text and ``files``' names.
    """
    from crmsurvey.pipeline import rerender, run

    if isinstance(study, Path):
        text, source = study.read_text(encoding="utf-8"), study
    else:
        text, source = study, None
    name = f"{key}-{_digest(text, str(source), *map(str, files), *langs)}"

    def build(base: Path) -> None:
        path = source
        if path is None:
            inputs = base / "input"
            inputs.mkdir()
            for f in files:
                f = Path(f)
                (shutil.copytree if f.is_dir() else shutil.copy)(f, inputs / f.name)
            path = inputs / "study.yaml"
            path.write_text(text, encoding="utf-8")
        first = run(path, base / langs[0], lang=langs[0])
        for lang in langs[1:]:
            shutil.copytree(first, base / lang)
            rerender(base / lang, lang=lang)

    return StudyRun(built_once(tmp_path_factory, name, build), tuple(langs))


def bundled(tmp_path_factory, name: str, *, langs: Sequence[str] = LANGS) -> StudyRun:
    """A study file of ``studies/`` (``"shape_single"``, ``"demo_ccsi"``, ...) run once."""
    return study_run(tmp_path_factory, name, STUDIES / f"{name}.yaml", langs=langs)


def bundled_fixture(name: str):
    """A module fixture for one example study's run: ``waves = bundled_fixture(
    "shape_waves")`` in a test module gives its tests ``waves`` (built once per session
    through ``bundled_runs``)."""
    import pytest

    @pytest.fixture(scope="module")
    def run(bundled_runs):
        return bundled_runs[name]

    return run


class Bundled(dict):
    """The study files of ``studies/`` by name (``runs["shape_single"]``), each run on
    first use (:func:`bundled`) and kept for the session."""

    def __init__(self, tmp_path_factory):
        super().__init__()
        self._factory = tmp_path_factory

    def __missing__(self, name: str) -> StudyRun:
        self[name] = run = bundled(self._factory, name)
        return run


#: The many-brand study (studies/shape_many_brands.yaml: 20 brands × 3 waves) as the
#: tests render it. The user's file asks for 16,000 PLS resamples per group: 20 draws
#: beyond each limit of the 99.75 % intervals of Holm's first step over 20 wave changes
#: (``Multiplicity.tail_draws``, B·α/(2m) ≥ 20). The tests' run keeps 5 draws beyond each
#: limit instead — the policy's ``tail_draws`` set to 5 for that run, so it needs, and is
#: given, 4,000 resamples: a quarter of the bootstrap work. The run records the policy it
#: used (``settings.multiplicity.tail_draws``) and its report states it, so the checks of
#: layout, pages, families and wording hold as for the user's run; what depends on the
#: resample count is checked against the policy the run records, the default of 20 and
#: the study file's 16,000 (tests/test_study_shapes.py).
MANY_BRANDS_TAIL_DRAWS = 5


def many_brands(tmp_path_factory) -> StudyRun:
    """studies/shape_many_brands.yaml run once per session with
    :data:`MANY_BRANDS_TAIL_DRAWS` draws beyond each adjusted limit (and the resamples
    that needs) instead of the default 20."""
    import re
    from functools import partial
    from unittest import mock

    import crmsurvey.study.run as run_module
    from crmsurvey._stats import resamples_needed
    from crmsurvey.study.results import Multiplicity

    text = (STUDIES / "shape_many_brands.yaml").read_text(encoding="utf-8")
    policy = partial(Multiplicity, tail_draws=MANY_BRANDS_TAIL_DRAWS)
    boot = resamples_needed(policy().alpha, 20, tail=MANY_BRANDS_TAIL_DRAWS)
    fewer, n = re.subn(r"(?m)^(\s+bootstrap:\s*)16000\b", rf"\g<1>{boot}", text)
    assert n == 1, "shape_many_brands.yaml: pls.bootstrap 16000 not found"
    with mock.patch.object(run_module, "Multiplicity", policy):
        return study_run(tmp_path_factory, "shape_many_brands", fewer)
