"""The study commands: ``schema`` (the study file), ``run``, ``report`` and ``demo``."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from . import app
from ._common import _out, _say, _stages
from ..notes import note_text
from .reading import _set_missing_text, exclusion_line


@app.command("schema")
def schema_cmd(
    what: str = typer.Argument(..., help="What to describe: study (the study file)."),
    markdown: bool = typer.Option(False, "--markdown", help="The Markdown reference "
                                  "(docs/study-file.md) instead of the JSON Schema."),
) -> None:
    """Print the study file's JSON Schema (for editors' YAML support) or its reference."""
    from ..study.reference import json_schema, markdown as reference

    if what != "study":
        raise InputError(f"schema: unknown subject {what!r}; the one known is 'study'")
    _out(reference() if markdown else json.dumps(json_schema(), ensure_ascii=False, indent=2))


@app.command("run")
def run_cmd(
    study: Path,
    output: Path = typer.Option(..., "-o", "--output", help="Output folder."),
    lang: Optional[str] = typer.Option(None, help="Report language (default: the study's)."),
    workers: Optional[int] = typer.Option(None, help="Local worker processes for the "
                                          "group units."),
    scheduler: Optional[str] = typer.Option(
        None, envvar="CRMSURVEY_SCHEDULER", show_envvar=True,
        help="Dask scheduler, tcp://host:8786 (never taken from the study file)."),
    root: Optional[Path] = typer.Option(
        None, "--root", help="Folder every file the study reads must lie in (default: "
        "the study's folder)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when any model could not "
                                "be estimated or reported an error."),
) -> None:
    """Run a study: screen, fit, write results.json, tables and report.pdf."""
    from ..engine import get_engine
    from ..pipeline import run
    from ..study import load_study

    loaded = load_study(study, root=root)  # before any engine is started
    engine = get_engine(scheduler or workers) if (scheduler or workers) else None
    try:
        with _stages() as say:
            run(loaded, output, lang=lang, progress=say, engine=engine)
    finally:
        if engine is not None:
            engine.close()
    _out(f"wrote {output}/report.pdf, results.json and tables")
    _problems(output, strict, lang)


def _problems(output: Path, strict: bool, lang: str | None = None) -> None:
    """Say which parts of the run failed (they are in the results and the report), in
    the report's language (its catalogue); with ``--strict`` any of them is exit 3."""
    from .._catalogue import text_in_language
    from ..errors import printable
    from ..report.i18n import diagnostic_text
    from ..study import load_results

    results = load_results(output / "results.json")
    lang = lang or results.study.language
    sample = results.sample
    line = exclusion_line(sample.rows_read, sample.rows_kept, sample.excluded,
                          "cleaning_log.csv")
    if line:
        _say(line)
    for src in sample.sources:  # headers matched by number whose text is not the question's
        for note in src.notes:
            if note.code in HEADER_NOTES:
                _say(f"note: {src.source}: {note_text(note, lang)}")
    if results.sample.set_missing:
        _say(_set_missing_text(results.sample.set_missing))
    errors = [d for d in results.diagnostics if d.severity == "error"]
    for d in errors:  # group names come from the data: their controls are shown, not obeyed
        text = diagnostic_text(d, lang, {c: text_in_language(v, lang, results.study.languages)
                                         or c for c, v in results.model.labels.items()})
        sys.stderr.write(f"problem: {printable(text)}\n")
    if strict and errors:
        raise typer.Exit(3)


#: Notes of reading a file that ``run`` also prints: a header matched by its number
#: whose text is not its question's.
HEADER_NOTES = ("header_mismatch", "header_reworded")


@app.command("report")
def report_cmd(
    outdir: Path,
    lang: Optional[str] = typer.Option(None, help="Report language."),
    template: Optional[Path] = typer.Option(None, help="Template folder."),
) -> None:
    """Render the report again from OUTDIR/results.json (no refitting), with the
    workbook in the report's language (report.LANG.pdf and tables.LANG.xlsx for a
    language other than the run's)."""
    from ..pipeline import rerender

    with _stages() as say:
        say("rendering", 0, None)
        pdf = rerender(outdir, lang=lang, template=template)
    _out(f"wrote {pdf}")


@app.command("demo")
def demo_cmd(
    lang: str = typer.Option("en", help="Report language: any with a catalogue in "
                             "crmsurvey/locales/ (en, zh-CN, …)."),
    output: Path = typer.Option(Path("crmsurvey-demo"), "-o", "--output",
                                help="Output folder."),
) -> None:
    """Simulate a three-brand CCSI study, fit it (PLS with bootstrap, CB-SEM) and render
    the PDF report."""
    from .._resources import bundled_dir
    from ..pipeline import run

    with _stages() as say:
        run(bundled_dir("studies") / "demo_ccsi.yaml", output, lang=lang, progress=say)
    _out(f"wrote {output}/report.pdf ({lang}), results.json and tables")
