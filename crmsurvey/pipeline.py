"""The whole flow for one study: run → results and tables → report, written atomically.

Everything is staged in a temporary folder inside the output folder — the same
filesystem even when OUT is a mount point — and moved in only when the report has
rendered, so a failed run leaves nothing half-written. The bundle is replaced as a
whole: files a previous run wrote (listed in OUT's manifest) and this run did not are
removed; files of the user's own in OUT are never touched.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from ._assets import image_kind
from ._io import write_text
from .errors import InputError
from .study import load_results, load_study, run_study, write_results

__all__ = ["run", "rerender", "MANIFEST"]

Progress = Callable[[str, int, int], None]
#: The list of files the last run wrote into its output folder.
MANIFEST = ".crmsurvey-manifest.json"


def _open_outdir(outdir: Path) -> bool:
    """Make sure ``outdir`` is a writable folder; return whether it was created here."""
    if outdir.exists() and not outdir.is_dir():
        raise InputError("the output folder is a file", path=str(outdir))
    created = not outdir.exists()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror})",
                         path=str(outdir)) from None
    if not os.access(outdir, os.W_OK | os.X_OK):
        raise InputError("the output folder is not writable", path=str(outdir))
    return created


def _previous(outdir: Path) -> set[str]:
    try:
        listed = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {p for p in listed if isinstance(p, str)} if isinstance(listed, list) else set()


def _publish(staging: Path, outdir: Path) -> None:
    new = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    for rel in new:
        (outdir / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, outdir / rel)
    root = outdir.resolve()
    for rel in sorted(_previous(outdir) - set(new)):  # stale: written by an earlier run
        path = (outdir / rel).resolve()
        if root in path.parents and path.is_file() and not path.is_symlink():
            path.unlink()
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()
    write_text(outdir / MANIFEST, json.dumps(new, indent=0))


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
    created = _open_outdir(outdir)
    staging = Path(tempfile.mkdtemp(prefix=".crmsurvey-staging-", dir=outdir))
    try:
        done = run_study(study, progress=say, engine=engine, language=lang)
        write_results(done.results, done.tables, staging)
        logo = study.definition.report.logo
        if logo:  # checked by content when the study was loaded; named by what it is
            (staging / "assets").mkdir()
            shutil.copyfile(study.path(logo), staging / "assets" /
                            f"logo{image_kind(study.path(logo))}")
        template = study.definition.report.template
        say("rendering", 0, 1)
        render_report(done.results, staging, lang=lang,
                      template_dir=study.path(template) if template else None)
        say("rendering", 1, 1)
        _publish(staging, outdir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(outdir.iterdir()):
            outdir.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return outdir


def rerender(outdir: str | Path, *, lang: str | None = None,
             template: str | Path | None = None) -> Path:
    """Render the report again from ``outdir/results.json`` (no refitting): in the
    results' language as report.pdf, in another as report.<lang>.pdf; returns the PDF."""
    from .report.render import render_report

    outdir = Path(outdir)
    source = outdir / "results.json"
    if not source.is_file():
        raise InputError("no results.json here; run the study first", path=str(outdir))
    results = load_results(source)
    if template is not None and not Path(template).is_dir():
        raise InputError("template folder not found", path=str(template))
    html, pdf = render_report(results, outdir, lang=lang,
                              template_dir=Path(template) if template else None)
    listed = _previous(outdir)
    if listed:  # the bundle now includes this language's report too
        write_text(outdir / MANIFEST, json.dumps(sorted(listed | {html.name, pdf.name}),
                                                 indent=0))
    return pdf
