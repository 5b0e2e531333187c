"""Issue 25, items 5, 6 and 8: notebooks (real signatures, short reprs, HTML summaries),
progress and the CLI's --version/--quiet/--help, and the ecosystem around the package
(SPSS round trip, light imports, version, LICENSE, py.typed, Parquet without pyarrow)."""
import html
import inspect
import pydoc
import re
import subprocess
import sys
from pathlib import Path

import pytest

import crmsurvey as cs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def q():
    return cs.load_questionnaire("ccsi")


@pytest.fixture(scope="module")
def responses(q):
    return cs.load_responses(q, cs.simulate(q, n=150, seed=3), exclude=["duplicate"])


# --- 6. notebook-friendly ------------------------------------------------------------

@pytest.mark.parametrize("verb", ["pls", "cbsem"])
def test_verbs_show_their_real_signature_and_docstring(verb):
    package = getattr(cs, verb)
    function = getattr(package, verb)  # crmsurvey.pls.pls is the function itself
    assert inspect.isfunction(function)
    sig = inspect.signature(package)
    assert sig == inspect.signature(function)
    assert "kwargs" not in str(sig) and "model" in sig.parameters and "data" in sig.parameters
    assert package.__wrapped__ is function
    text = pydoc.render_doc(package, renderer=pydoc.plaintext)
    assert f"{verb}(model" in text
    assert inspect.cleandoc(function.__doc__).splitlines()[0] in text
    # ... and it stays a package
    assert callable(package) and hasattr(package, "__path__")


def test_the_signature_follows_the_function(monkeypatch):
    import crmsurvey.pls as pls_package

    def pls(model, data, *, brand_new_option: int = 3):
        """A stand-in."""

    monkeypatch.setattr(pls_package, "pls", pls)
    assert "brand_new_option" in inspect.signature(cs.pls).parameters
    assert cs.pls.__doc__.startswith("pls(model, data, *, brand_new_option: int = 3)")


def test_the_packages_keep_their_submodules():
    import crmsurvey.pls.mga  # noqa: F401
    from crmsurvey.cbsem import polychoric
    from crmsurvey.pls import PLSResult, model_weights

    assert cs.pls.model_weights is model_weights and cs.pls.PLSResult is PLSResult
    assert cs.pls.mga.__name__ == "crmsurvey.pls.mga"
    assert cs.pls.estimate.pls is cs.pls.pls
    assert cs.cbsem.polychoric is polychoric


def _one_line_and_short(text: str, most: int = 400) -> None:
    assert "\n" not in text and len(text) < most, text


def test_questionnaire_repr_and_html(q):
    text = repr(q)
    _one_line_and_short(text)
    assert text.startswith("<Questionnaire 'ccsi'") and f"{len(q.items)} items" in text
    page = q._repr_html_()
    assert "<table>" in page and "LOY" in page and "definition=" not in page


def test_html_is_escaped(q):
    from crmsurvey._display import html_summary

    page = html_summary("<b>t</b>", [("x", "<script>")], [("T", ("a",), [("<i>",)])],
                        ["<note>"])
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert html.escape("<script>") in page and "&lt;note&gt;" in page


def test_responses_repr_and_html(responses):
    text = repr(responses)
    _one_line_and_short(text)
    assert f"{responses.log.rows_kept} of {responses.log.rows_read} rows kept" in text
    page = responses._repr_html_()
    assert "Screening" in page and "duplicate" in page and "&lt;DataFrame&gt;" in page


def test_pls_and_cbsem_reprs_are_short(q, responses):
    res = cs.pls(q.to_lavaan(), responses.items, scale=q.scale_bounds())
    text = repr(res)
    _one_line_and_short(text)
    assert text.startswith("<PLSResult: n = ") and "R² " in text
    assert "<table" in res._repr_html_()
    items = q.definition.constructs
    model = (f"SAT =~ {' + '.join(items['SAT'].items)}\n"
             f"LOY =~ {' + '.join(items['LOY'].items)}\nLOY ~ SAT")
    fit = cs.cbsem(model, responses.items)
    text = repr(fit)
    _one_line_and_short(text)
    assert text.startswith("<CBSEMResult: ML") and "cfi" in text
    assert "<table" in fit._repr_html_()


def test_study_results_repr_and_html(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "id: tiny\ntitle: Tiny\nquestionnaire: ccsi\n"
        "data:\n  - simulate: {n: 120, seed: 1}\nexclude: [duplicate]\n", encoding="utf-8")
    run = cs.run_study(cs.load_study(tmp_path / "s.yaml"))
    _one_line_and_short(repr(run.results))
    assert repr(run.results).startswith("<Results of study 'tiny'")
    assert "SAT" in repr(run.results)
    _one_line_and_short(repr(run), 700)
    page = run._repr_html_()
    assert "Indices (0–100)" in page and "<td>SAT</td>" in page


# --- 5. progress, --quiet, --version, clean --help --------------------------------------

class _TTY:
    """A stderr that says it is a terminal and keeps what is written."""

    def __init__(self):
        import io

        self.buffer = io.StringIO()

    def isatty(self):
        return True

    def write(self, text):
        return self.buffer.write(text)

    def flush(self):
        pass

    def getvalue(self):
        return self.buffer.getvalue()


def test_progress_bars_on_a_terminal_and_not_with_quiet(monkeypatch):
    from crmsurvey import cli

    tty = _TTY()
    monkeypatch.setattr(sys, "stderr", tty)
    with cli._stages() as say:
        say("bootstrap", 0, 10)
        say("bootstrap", 10, 10)
        say("BG/NBD + Gamma-Gamma", 0, None)  # no count: a pulsing bar
    assert "bootstrap" in tty.getvalue() and "10/10" in tty.getvalue()
    assert "BG/NBD" in tty.getvalue()
    quiet = _TTY()
    monkeypatch.setattr(sys, "stderr", quiet)
    monkeypatch.setattr(cli, "_QUIET", True)
    with cli._stages() as say:
        say("bootstrap", 0, 10)
    assert quiet.getvalue() == ""


def test_cbsem_command_shows_progress_and_quiet_switches_it_off(monkeypatch, tmp_path, q):
    from crmsurvey import cli

    data = tmp_path / "r.csv"
    cs.simulate(q, n=120, seed=2).to_csv(data, index=False)
    items = q.definition.constructs
    model = tmp_path / "m.lav"
    model.write_text(f"SAT =~ {' + '.join(items['SAT'].items)}\n"
                     f"LOY =~ {' + '.join(items['LOY'].items)}\nLOY ~ SAT\n")
    for flags, shown in (([], True), (["--quiet"], False)):
        tty = _TTY()
        monkeypatch.setattr(sys, "stderr", tty)
        assert cli.main([*flags, "cbsem", str(model), str(data), "--bootstrap", "5"]) == 0
        assert ("CB-SEM with 5 bootstrap resamples" in tty.getvalue()) == shown, flags
    tty = _TTY()  # the next invocation starts without --quiet
    monkeypatch.setattr(sys, "stderr", tty)
    assert cli.main(["cbsem", str(model), str(data)]) == 0
    assert "CB-SEM" in tty.getvalue()


@pytest.mark.slow
def test_version_and_clean_help():
    from crmsurvey import __version__

    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "--version"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"crmsurvey {__version__}"
    for args in (["--help"], ["pls", "--help"], ["cbsem", "--help"], ["clv", "--help"],
                 ["questionnaire", "codebook", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", *args],
                              capture_output=True, text=True, env={"COLUMNS": "200",
                                                                   "PATH": ""})
        assert proc.returncode == 0, proc.stderr
        assert "<bool>" not in proc.stdout, args
    assert "--quiet" in _help(["--help"]) and "--version" in _help(["--help"])
    assert "formula|bgnbd" in _help(["clv", "--help"])  # choices show their values


def _help(args):
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", *args],
                          capture_output=True, text=True, env={"COLUMNS": "200", "PATH": ""})
    return proc.stdout


def test_choices_complete_in_the_shell():
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli"], capture_output=True,
                          text=True, env={"_CRMSURVEY_COMPLETE": "complete_bash",
                                          "COMP_WORDS": "crmsurvey clv --model ",
                                          "COMP_CWORD": "3", "PATH": ""})
    assert proc.stdout.split() == ["formula", "bgnbd"], proc.stdout + proc.stderr


# --- 8. the ecosystem: SPSS, light imports, Parquet, version, LICENSE, py.typed ----------

def test_sav_written_from_the_questionnaire_carries_labels_codes_and_measures(tmp_path, q):
    import pyreadstat

    from crmsurvey.cli import main

    sav, csv = tmp_path / "r.sav", tmp_path / "r.csv"
    for out in (sav, csv):
        assert main(["simulate", "ccsi", "--n", "60", "--seed", "4", "--groups",
                     "brand=Brand A,Brand B", "-o", str(out)]) == 0
    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    lang = q.languages[0]
    assert meta.column_names_to_labels["sat1"] == q.text(q.items["sat1"].text, lang)
    sc = q.scale("sat1")
    labels = meta.variable_value_labels["sat1"]
    assert {int(k) for k in labels} >= set(sc.special)  # don't know etc. are labelled
    assert all(int(k) in labels for k in sc.anchors)
    missing = {r["lo"] for r in meta.missing_ranges["sat1"]}
    assert missing == {float(c) for c in list(sc.special) + list(sc.missing)}
    assert meta.variable_measure["sat1"] == "ordinal"
    assert meta.variable_measure["brand"] == "nominal"
    assert meta.file_label == q.text(q.definition.title, lang)
    assert frame["sat1"].dtype.kind == "f"  # numbers, not text
    # and it reads back as the CSV does
    a, b = cs.load_responses(q, sav), cs.load_responses(q, csv)
    assert a.log.rows_kept == b.log.rows_kept and a.log.flagged == b.log.flagged
    assert a.items.fillna(-1).equals(b.items.fillna(-1))
    assert a.codes.fillna("").equals(b.codes.fillna(""))
    assert sorted(a.groups("brand").unique()) == ["Brand A", "Brand B"]


def test_value_labels_of_a_group_item_are_applied_when_reading(tmp_path, q):
    import pyreadstat

    from crmsurvey.fielding.spss import for_sav

    df = cs.simulate(q, n=40, seed=5, groups={"brand": ["Brand A", "Brand B"]})
    frame, meta = for_sav(q, df)
    frame["brand"] = frame["brand"].map({"Brand A": 1.0, "Brand B": 2.0})
    meta["variable_value_labels"]["brand"] = {1: "Brand A", 2: "Brand B"}
    pyreadstat.write_sav(frame, str(tmp_path / "coded.sav"), **meta)
    r = cs.load_responses(q, tmp_path / "coded.sav")
    assert set(r.groups("brand")) == {"Brand A", "Brand B"}  # not "1", "2"
    # unlabelled codes stay as they are
    del meta["variable_value_labels"]["brand"]
    pyreadstat.write_sav(frame, str(tmp_path / "plain.sav"), **meta)
    assert set(cs.load_responses(q, tmp_path / "plain.sav").groups("brand")) == {"1", "2"}


def test_codebook_command_reads_a_sav(tmp_path, q):
    import pandas as pd

    from crmsurvey.cli import main

    sav = tmp_path / "r.sav"
    assert main(["simulate", "ccsi", "--n", "30", "-o", str(sav)]) == 0
    assert main(["questionnaire", "codebook", str(sav), "-o", str(tmp_path / "cb.csv")]) == 0
    cb = pd.read_csv(tmp_path / "cb.csv", keep_default_na=False).set_index("variable")
    assert cb.loc["sat1", "label"] == q.text(q.items["sat1"].text, q.languages[0])
    assert cb.loc["sat1", "measure"] == "ordinal" and "98" in cb.loc["sat1", "missing"]
    assert "98=" in cb.loc["sat1", "codes"]
    assert main(["questionnaire", "codebook", str(sav), "-o", str(tmp_path / "cb.pdf")]) == 2


def test_questionnaire_import_stays_light():
    code = ("import sys, crmsurvey.questionnaire; from crmsurvey.cli import main; "
            "main(['questionnaire', 'validate', 'ccsi']); "
            "print([m for m in ('pandas', 'numpy', 'scipy', 'semopy') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_parquet_without_pyarrow_names_the_install(tmp_path, monkeypatch, q):
    from crmsurvey._io import write_frame
    from crmsurvey.errors import InputError
    from crmsurvey.responses.readers import read_table

    pytest.importorskip("pyarrow")
    data = tmp_path / "r.parquet"
    cs.simulate(q, n=20, seed=1, settings=None).astype(str).to_parquet(data)
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)  # import now fails
    with pytest.raises(InputError, match="pyarrow") as err:
        read_table(data)
    assert "pip install pyarrow" in err.value.one_line()
    with pytest.raises(InputError, match="pip install pyarrow"):
        cs.load_responses(q, data)
    with pytest.raises(InputError) as err:
        write_frame(cs.simulate(q, n=5, seed=1), tmp_path / "out.parquet")
    assert "pip install pyarrow" in err.value.one_line()
    assert not (tmp_path / "out.parquet").exists()


def test_version_license_changelog_py_typed():
    import tomllib

    from crmsurvey import __version__

    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    if "version" in project.get("dynamic", []):  # read from crmsurvey.__version__
        dynamic = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
        assert dynamic["dynamic"]["version"] == {"attr": "crmsurvey.__version__"}
    else:
        assert project["version"] == __version__
    assert project["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert f"`crmsurvey.__version__`" in (ROOT / "CHANGELOG.md").read_text()
    assert (ROOT / "crmsurvey" / "py.typed").is_file()
