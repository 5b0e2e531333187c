"""Where output goes: OUT is empty or a previous bundle and never holds a run's inputs;
single files never replace their input or a folder; one run at a time writes a bundle,
published whole even when a run is killed; a re-render embeds only the run's own assets,
names files only by known languages, and checks fonts before rendering."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import crmsurvey as cs
from crmsurvey.study import load_results

from .test_hostile import cli, refused, snapshot, study_file

ROOT = Path(__file__).resolve().parent.parent
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
MANIFEST = ".crmsurvey-manifest.json"


def _ours(folder: Path) -> list[str]:
    """Staging folders, journals and temporary files of crmsurvey left in ``folder``."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith((".crmsurvey-staging", ".crmsurvey-journal", "..")))


def _consistent(out: Path) -> list[str]:
    """The manifest lists exactly the bundle's files; returns them."""
    listed = json.loads((out / MANIFEST).read_text())
    for rel in listed:
        assert (out / rel).is_file(), rel
    return listed


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """One small run's OUT (no bootstrap, 120 respondents), made once; copy it to use."""
    from crmsurvey.pipeline import run

    base = tmp_path_factory.mktemp("bundle")
    return run(study_file(base), base / "out")


def _copy(bundle: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(bundle, tmp_path / "out", symlinks=True))


# --- 1. a run never writes over what it reads, or over the user's files ----------------

@pytest.mark.slow
def test_out_holding_an_input_of_the_run_is_exit_2(tmp_path):
    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 120, seed=1).to_csv(tmp_path / "scores.csv", index=False)
    study = study_file(tmp_path, data="[{path: scores.csv}]")
    data = (tmp_path / "scores.csv").read_bytes()
    for out in (tmp_path, "."):  # the study folder, by its path and as '.'
        code, _, err, seconds = cli("run", study.name, "-o", out, cwd=tmp_path)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert "holds the run's" in err and seconds < 20
    (tmp_path / "data").mkdir()
    os.replace(tmp_path / "scores.csv", tmp_path / "data" / "scores.csv")
    study = study_file(tmp_path, data="[{path: data/scores.csv}]")
    refused("run", study, "-o", tmp_path / "data", message="data file 'scores.csv'")
    (tmp_path / "link").symlink_to(tmp_path / "data")  # the same folder by another name
    refused("run", study, "-o", tmp_path / "link", message="holds the run's")
    files = sorted(os.path.relpath(os.path.join(d, f), tmp_path)
                   for d, _, fs in os.walk(tmp_path) for f in fs)
    assert files == ["data/scores.csv", "s.yaml"]
    assert (tmp_path / "data" / "scores.csv").read_bytes() == data


@pytest.mark.slow
def test_out_holding_other_files_is_exit_2(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "paths.csv").write_text("mine")
    refused("run", study_file(tmp_path), "-o", out, message="holds files that no run wrote")
    assert (out / "paths.csv").read_text() == "mine" and len(list(out.iterdir())) == 1


def test_a_bundle_never_replaces_a_file_no_run_wrote(tmp_path):
    """OUT with a manifest is a previous bundle, but a user's file that a new output would
    replace is refused before anything moves."""
    from crmsurvey._bundle import open_out, publish

    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text('["results.json"]')
    (out / "results.json").write_text("old")
    (out / "tables.xlsx").write_text("mine")
    with open_out(out, fresh=True):
        staging = out / ".crmsurvey-staging-x"
        staging.mkdir()
        for name in ("results.json", "tables.xlsx"):
            (staging / name).write_text("new")
        with pytest.raises(cs.InputError, match="'tables.xlsx', which no run wrote"):
            publish(staging, out)
    assert (out / "tables.xlsx").read_text() == "mine"
    assert (out / "results.json").read_text() == "old"


def _qsf(tmp_path: Path) -> Path:
    assert cli("questionnaire", "export", "ccsi", "-o", tmp_path / "x.qsf")[0] == 0
    return tmp_path / "x.qsf"


@pytest.mark.slow
def test_single_file_outputs_never_replace_their_input(tmp_path):
    qsf = _qsf(tmp_path)
    text = qsf.read_bytes()
    refused("questionnaire", "import", qsf, "-o", qsf, message="the output is the input")
    (tmp_path / "alias.qsf").symlink_to(qsf)
    refused("questionnaire", "import", qsf, "-o", tmp_path / "alias.qsf",
            message="the output is the input")
    assert qsf.read_bytes() == text
    yaml = tmp_path / "q.txt"  # a questionnaire that happens to end in .txt
    shutil.copyfile(ROOT / "questionnaires" / "ccsi.yaml", yaml)
    refused("questionnaire", "export", yaml, "-o", yaml, message="the output is the input")
    refused("simulate", yaml, "--n", "10", "-o", yaml, message="the output is the input")
    assert yaml.read_bytes() == (ROOT / "questionnaires" / "ccsi.yaml").read_bytes()


@pytest.mark.parametrize("command", [
    ["simulate", "ccsi", "--n", "10"], ["questionnaire", "export", "ccsi"],
    ["questionnaire", "codebook", "ccsi"], ["questionnaire", "print", "ccsi"], "import"])
def test_output_that_is_a_folder_is_exit_2(tmp_path, command):
    if command == "import":
        command = ["questionnaire", "import", _qsf(tmp_path)]
    (tmp_path / "folder.csv").mkdir()
    line = refused(*command, "-o", tmp_path / "folder.csv", message="the output is a folder")
    assert "folder.csv" in line and not list((tmp_path / "folder.csv").iterdir())


# --- 2. one run at a time, published whole ---------------------------------------------

@pytest.mark.slow
def test_a_second_writer_is_refused_at_once(tmp_path, bundle):
    out = _copy(bundle, tmp_path)
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another run holding OUT
    try:
        t = time.perf_counter()
        refused("run", study_file(tmp_path), "-o", out, message="another run is writing OUT")
        refused("report", out, "--lang", "zh-CN", message="another run is writing OUT")
        assert time.perf_counter() - t < 20
    finally:
        os.close(fd)
    assert not (out / "report.zh-CN.pdf").exists()


@pytest.mark.slow
def test_two_concurrent_runs_one_is_refused(tmp_path):
    study, out = study_file(tmp_path), tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-m", "crmsurvey.cli", "run", str(study),
                               "-o", str(out)], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = sorted((p.wait(timeout=180), p.stderr.read()) for p in procs)
    assert [code for code, _ in results] == [0, 2], results
    assert "another run is writing OUT" in results[1][1]
    _consistent(out)
    assert not _ours(out)


KILLED_PUBLISH = """
import os, sys, time
import crmsurvey._bundle as b
real, calls = os.replace, [0]
def slow(src, dst):  # counts the moves out of a staging folder into OUT
    real(src, dst)
    calls[0] += ".crmsurvey-staging-" in str(src) and ".crmsurvey-staging-" not in str(dst)
    if calls[0] == int(sys.argv[1]):
        print("moved", flush=True)
        time.sleep(600)
b.os.replace = slow
exec(sys.argv[2])
"""

PUBLISH_V2 = """
from pathlib import Path
out = Path(sys.argv[3])
with b.open_out(out, fresh=True):
    staging = out / ".crmsurvey-staging-v2"
    (staging / "assets").mkdir(parents=True)
    for name in ("a.csv", "b.csv", "results.json", "new.csv", "assets/logo.png"):
        (staging / name).write_text("v2")
    b.publish(staging, out)
"""


def _killed(*args: str, after: int) -> None:
    """Run ``args`` (code, then its arguments), killed right after its ``after``-th move of
    a file from a staging folder into OUT."""
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PUBLISH, str(after), *args],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "moved"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)


@pytest.mark.parametrize("after", [1, 3, 5])  # the first move; mid-way; all moved
def test_a_publish_killed_half_way_is_finished_by_the_next_opener(tmp_path, after):
    from crmsurvey._bundle import open_out

    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.csv", "b.csv", "results.json", "old.csv"):
        (out / name).write_text("v1")
    (out / MANIFEST).write_text(json.dumps(["a.csv", "b.csv", "old.csv", "results.json"]))
    (out / "mine.txt").write_text("mine")
    _killed(PUBLISH_V2, str(out), after=after)
    assert (out / ".crmsurvey-journal.json").is_file()  # killed after the commit point
    with open_out(out, fresh=True):
        pass
    assert sorted(_consistent(out)) == ["a.csv", "assets/logo.png", "b.csv", "new.csv",
                                        "results.json"]
    assert {(out / f).read_text() for f in _consistent(out)} == {"v2"}
    assert not (out / "old.csv").exists() and (out / "mine.txt").read_text() == "mine"
    assert not _ours(out)


def test_a_run_killed_before_publishing_leaves_nothing_for_good(tmp_path):
    """Staging folders and temporary files of a killed run are removed by the next one;
    the previous bundle stays as it was."""
    from crmsurvey._bundle import open_out

    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("v1")
    (out / MANIFEST).write_text('["results.json"]')
    (out / ".crmsurvey-staging-dead").mkdir()
    (out / ".crmsurvey-staging-dead" / "results.json").write_text("half")
    (out / "..crmsurvey-journal.json.abc.json").write_text("{")  # an unfinished journal
    with open_out(out, fresh=True):
        pass
    assert not _ours(out) and (out / "results.json").read_text() == "v1"


@pytest.mark.slow
def test_a_killed_run_leaves_one_bundle_that_report_reads(tmp_path):
    """End to end: a second run (no CB-SEM) killed while moving files into a bundle with
    CB-SEM; `crmsurvey report` first finishes the publish, and sees one run's files."""
    study = study_file(tmp_path, extra="cbsem: {estimator: ML}")
    out = tmp_path / "out"
    assert cli("run", study, "-o", out)[0] == 0
    study.write_text(study.read_text().replace("cbsem: {estimator: ML}", ""))
    run = "from crmsurvey.cli import main; main(['run', sys.argv[3], '-o', sys.argv[4]])"
    _killed(run, str(study), str(out), after=6)
    mixed = json.loads((out / ".crmsurvey-journal.json").read_text())
    assert "cbsem_fit.csv" in mixed["remove"] and (out / "cbsem_fit.csv").exists()
    code, _, err, _ = cli("report", out)
    assert code == 0, err
    assert load_results(out / "results.json").cbsem is None
    assert not (out / "cbsem_fit.csv").exists() and not _ours(out)
    assert set(_consistent(out)) == {str(p.relative_to(out)) for p in out.rglob("*")
                                     if p.is_file() and p.name != MANIFEST}


# --- 3. a re-render embeds only the run's own assets, names only known languages --------

@pytest.mark.parametrize("make", ["symlink", "fifo", "linked_folder"])
def test_report_embeds_only_the_runs_own_logo(tmp_path, bundle, make):
    out = _copy(bundle, tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "logo.png").write_bytes(PNG)  # a real image, not the run's
    if make == "symlink":
        (out / "assets").mkdir()
        (out / "assets" / "logo.png").symlink_to(tmp_path / "elsewhere" / "logo.png")
    elif make == "fifo":
        (out / "assets").mkdir()
        os.mkfifo(out / "assets" / "logo.png")
    else:
        (out / "assets").symlink_to(tmp_path / "elsewhere")
    before = snapshot(out, out / "none")
    line = refused("report", out, message="assets", timeout=30)
    assert "logo" in line or "assets" in line
    assert snapshot(out, out / "none") == before and not _ours(out)


@pytest.mark.slow
def test_report_language_names_no_path(tmp_path, bundle):
    out = _copy(bundle, tmp_path)
    data = json.loads((out / "results.json").read_text())
    data["study"]["languages"] = data["study"]["languages"] + ["/../../x", "../x"]
    (out / "results.json").write_text(json.dumps(data))
    for lang in ("/../../x", "../x"):
        refused("report", out, "--lang", lang, message="is not a language")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert not list(out.glob("report.*.*")) and not _ours(out)


def test_report_into_a_read_only_out_is_exit_2(tmp_path, bundle):
    """As root, permission bits do not stop a write; the immutable attribute does."""
    out = _copy(bundle, tmp_path)
    if subprocess.run(["chattr", "+i", str(out)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        refused("report", out, "--lang", "zh-CN", message="not writable")
    finally:
        subprocess.run(["chattr", "-i", str(out)], check=True)
    assert not (out / "report.zh-CN.pdf").exists()


# --- 4. fonts are checked before rendering ---------------------------------------------

def _fonts(tmp_path: Path, *fonts: Path) -> Path:
    """A fontconfig configuration that sees only ``fonts``."""
    folder, cache = tmp_path / "fonts", tmp_path / "fontcache"
    folder.mkdir()
    cache.mkdir()
    for f in fonts:
        shutil.copyfile(f, folder / f.name)
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{folder}</dir>'
                    f'<cachedir>{cache}</cachedir></fontconfig>')
    return conf


def _latin_font() -> Path:
    found = sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"))
    if not found:
        pytest.skip("no DejaVuSans.ttf to build a Latin-only font set from")
    return found[0]


@pytest.mark.slow
def test_no_fonts_at_all_is_exit_2_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("FONTCONFIG_FILE", str(_fonts(tmp_path)))
    (tmp_path / "pdf").mkdir()
    refused("questionnaire", "print", "ccsi", "-o", tmp_path / "pdf" / "q.pdf",
            message="fonts-dejavu-core")
    refused("questionnaire", "codebook", "ccsi", "-o", tmp_path / "pdf" / "c.pdf",
            message="no fonts are installed")
    assert not list((tmp_path / "pdf").iterdir())  # no 0-byte temporary PDF
    refused("run", study_file(tmp_path), "-o", tmp_path / "out", message="fonts-dejavu-core")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_chinese_without_a_cjk_font_is_exit_2_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("FONTCONFIG_FILE", str(_fonts(tmp_path, _latin_font())))
    (tmp_path / "pdf").mkdir()
    refused("questionnaire", "print", "ccsi", "--lang", "zh-CN", "-o",
            tmp_path / "pdf" / "q.pdf", message="fonts-noto-cjk")
    assert cli("questionnaire", "print", "ccsi", "--lang", "en", "-o",
               tmp_path / "pdf" / "en.pdf")[0] == 0  # Latin text needs only a Latin font
    assert [p.name for p in (tmp_path / "pdf").iterdir()] == ["en.pdf"]


@pytest.mark.slow
def test_a_chinese_report_without_a_cjk_font_is_exit_2(tmp_path, monkeypatch, bundle):
    monkeypatch.setenv("FONTCONFIG_FILE", str(_fonts(tmp_path, _latin_font())))
    study = study_file(tmp_path, report="{language: zh-CN}")
    t = time.perf_counter()
    refused("run", study, "-o", tmp_path / "out", message="fonts-noto-cjk")
    assert time.perf_counter() - t < 20 and not (tmp_path / "out").exists()
    out = _copy(bundle, tmp_path)
    before = snapshot(out, out / "none")
    refused("report", out, "--lang", "zh-CN", message="fonts-noto-cjk")
    assert snapshot(out, out / "none") == before and not _ours(out)


def test_a_manifest_cannot_point_outside_out(tmp_path):
    from crmsurvey._bundle import open_out, publish

    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "outside.txt").write_text("keep")
    (out / MANIFEST).write_text(json.dumps(["../outside.txt", str(tmp_path / "outside.txt"),
                                            "results.json"]))
    with open_out(out, fresh=True):
        staging = out / ".crmsurvey-staging-x"
        staging.mkdir()
        (staging / "results.json").write_text("new")
        publish(staging, out)
    assert (tmp_path / "outside.txt").read_text() == "keep"
    assert _consistent(out) == ["results.json"] and not _ours(out)
