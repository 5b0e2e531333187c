"""The whole flow for one study: run → results bundle and tables → report, written
atomically: everything is staged in a temporary folder beside the output folder and
moved in only when the report has rendered, so a failed run leaves nothing half-written.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .errors import InputError
from .study import load_results, load_study, run_study, write_results

__all__ = ["run", "rerender"]

Progress = Callable[[str, int, int], None]


def _publish(staging: Path, outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for path in sorted(staging.rglob("*")):
        target = outdir / path.relative_to(staging)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            os.replace(path, target)


def run(study_path: str | Path, outdir: str | Path, *, lang: str | None = None,
        progress: Progress | None = None, engine=None) -> Path:
    """Run a study and write results.json, CSV/XLSX tables and report.html/.pdf.
    ``engine``: where the group units run (see :mod:`crmsurvey.engine`)."""
    from .report.render import render_report

    say = progress or (lambda stage, done, total: None)
    study = load_study(study_path)
    if lang and lang not in study.questionnaire.languages:
        raise InputError(f"language {lang!r} is not a language of the questionnaire",
                         hint=f"it has {', '.join(study.questionnaire.languages)}")
    outdir = Path(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        done = run_study(study, progress=say, engine=engine)
        write_results(done.results, done.tables, staging)
        logo = study.definition.report.logo
        if logo:
            (staging / "assets").mkdir()
            shutil.copyfile(study.path(logo), staging / "assets" / f"logo{Path(logo).suffix}")
        template = study.definition.report.template
        say("rendering", 0, 1)
        render_report(done.results, staging, lang=lang,
                      template_dir=study.path(template) if template else None)
        say("rendering", 1, 1)
        _publish(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outdir


def rerender(outdir: str | Path, *, lang: str | None = None,
             template: str | Path | None = None) -> Path:
    """Render report.html/.pdf again from ``outdir/results.json`` (no refitting)."""
    from .report.render import render_report

    outdir = Path(outdir)
    source = outdir / "results.json"
    if not source.is_file():
        raise InputError("no results.json here; run the study first", path=str(outdir))
    results = load_results(source)
    if template is not None and not Path(template).is_dir():
        raise InputError("template folder not found", path=str(template))
    render_report(results, outdir, lang=lang,
                  template_dir=Path(template) if template else None)
    return outdir
