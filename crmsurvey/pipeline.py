"""The whole flow for one study: run → results and tables → report, written atomically.

OUT (the output folder) is empty or holds a previous bundle, and holds none of the run's
inputs; one run at a time writes into it. Everything is staged in a temporary folder
inside OUT — the same filesystem even when OUT is a mount point — and published only when
the report has rendered, as one journaled step (see :mod:`crmsurvey._bundle`): a failed
or killed run leaves the previous bundle or the new one, never a mix. The bundle is
replaced as a whole: files a previous run wrote (listed in OUT's manifest) and this run
did not are removed; files of the user's own in OUT are never touched.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

from ._assets import read_image
from ._bundle import MANIFEST, STAGING, open_out, publish
from ._catalogue import require_language
from ._fonts import check_fonts
from .errors import InputError
from .study import Study, load_results, load_study, run_study, write_results

__all__ = ["run", "rerender", "MANIFEST"]

Progress = Callable[[str, int, int], None]


def _inputs(study: Study) -> list[tuple[str, Path]]:
    """The files and folders a run reads: (what, resolved path)."""
    d = study.definition
    named = [("study file", study.file)] if study.file is not None else []
    if (study.folder / d.questionnaire).is_file():
        named.append(("questionnaire", study.folder / d.questionnaire))
    named += [("data file", study.path(src.path)) for src in d.data if src.path]
    tx = d.analytics.transactions
    if tx is not None and tx.path:
        named.append(("transaction file", study.path(tx.path)))
    if d.report.logo:
        named.append(("logo", study.path(d.report.logo)))
    if d.report.template:
        named.append(("template folder", study.path(d.report.template)))
    return [(what, Path(p).resolve()) for what, p in named]


def _check_out(outdir: Path, inputs: list[tuple[str, Path]]) -> None:
    """A run may not write into a folder holding any of its inputs."""
    root = outdir.resolve()
    for what, path in inputs:
        if path == root or root in path.parents:
            raise InputError(f"the output folder holds the run's {what} {path.name!r}; "
                             "the run would write over its own input", path=str(outdir),
                             hint="write the results to a folder of their own")


def run(study_path: str | Path | Study, outdir: str | Path, *, lang: str | None = None,
        progress: Progress | None = None, engine=None) -> Path:
    """Run a study (a study file, or a study already loaded, with its root) and write
    results.json, CSV/XLSX tables and report.html/.pdf. ``engine``: where the group units
    run (see :mod:`crmsurvey.engine`)."""
    from .report.render import render_report

    say = progress or (lambda stage, done, total: None)
    study = load_study(study_path)
    if lang:
        require_language(lang)
    if lang and lang not in study.questionnaire.languages:
        raise InputError(f"language {lang!r} is not a language of the questionnaire",
                         hint=f"it has {', '.join(study.questionnaire.languages)}")
    check_fonts(lang=lang or study.definition.report.language)  # before the work
    outdir = Path(outdir)
    _check_out(outdir, _inputs(study))
    with open_out(outdir, create=True, fresh=True):
        staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=outdir))
        try:
            done = run_study(study, progress=say, engine=engine, language=lang)
            write_results(done.results, done.tables, staging)
            logo = study.definition.report.logo
            if logo:  # checked again as it is read (what is checked is what is copied)
                try:
                    kind, image = read_image(study.path(logo))
                except ValueError as exc:
                    raise InputError(f"the report's logo is not accepted: {exc}",
                                     path=str(study.path(logo))) from None
                (staging / "assets").mkdir()
                (staging / "assets" / f"logo{kind}").write_bytes(image)
            template = study.definition.report.template
            say("rendering", 0, 1)
            render_report(done.results, staging, lang=lang,
                          template_dir=study.path(template) if template else None)
            say("rendering", 1, 1)
            publish(staging, outdir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return outdir


def rerender(outdir: str | Path, *, lang: str | None = None,
             template: str | Path | None = None) -> Path:
    """Render the report again from ``outdir/results.json`` (no refitting): in the
    results' language as report.pdf, in another as report.<lang>.pdf (and the workbook,
    tables.xlsx or tables.<lang>.xlsx, in that language); returns the PDF."""
    from .report.render import render_report
    from .study.export import bundle_tables, workbook

    outdir = Path(outdir)
    if not outdir.is_dir():
        raise InputError("no such folder; run the study first", path=str(outdir))
    with open_out(outdir):  # locked; an interrupted publish is finished first
        source = outdir / "results.json"
        if not source.is_file():
            raise InputError("no results.json here; run the study first", path=str(outdir))
        results = load_results(source)
        if template is not None and not Path(template).is_dir():
            raise InputError("template folder not found", path=str(template))
        require_language(lang or results.study.language)
        check_fonts(lang=lang or results.study.language)
        staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=outdir))
        try:
            html, pdf = render_report(results, staging, lang=lang, assets=outdir / "assets",
                                      template_dir=Path(template) if template else None)
            # the workbook in the report's language, named as its PDF is (tables.xlsx in
            # the results' own, tables.<lang>.xlsx in another), published with it
            (staging / pdf.name.replace("report", "tables", 1).replace(".pdf", ".xlsx")
             ).write_bytes(workbook(bundle_tables(results, outdir), results,
                                    lang=lang or results.study.language))
            publish(staging, outdir, keep_old=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return outdir / pdf.name
