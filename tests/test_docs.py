"""The documentation is generated or executed, never only written: the study-file
reference and its JSON Schema come from the models, the example data from a documented
command, and every shell and Python block of the README runs (slow)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from crmsurvey.cli import main
from crmsurvey.errors import InputError
from crmsurvey.study import load_study
from crmsurvey.study import schema as S
from crmsurvey.study.reference import json_schema, markdown, models

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # .venv/bin: the crmsurvey console script lives here


# --- item 3: the study file's reference ------------------------------------------------

def test_study_reference_page_is_current():
    page = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    assert page == markdown(), ("docs/study-file.md is stale: run "
                                "`crmsurvey schema study --markdown > docs/study-file.md`")


def test_reference_names_every_key_of_every_model():
    page = markdown()
    schema = json_schema()
    for model in models():
        node = schema if model is S.StudyDef else schema["$defs"][model.__name__]
        assert node.get("additionalProperties") is False, model.__name__
        assert set(node["properties"]) == set(model.model_fields), model.__name__
        assert f"## {model.__name__}" in page
        for name in model.model_fields:
            assert f"| `{name}` |" in page, (model.__name__, name)
            assert node["properties"][name].get("description"), (model.__name__, name)
    assert set(schema["required"]) == {n for n, f in S.StudyDef.model_fields.items()
                                       if f.is_required()}


def _check(schema: dict, node: dict, value, where: str = "") -> list[str]:
    """A small JSON Schema checker for the keywords pydantic writes (no extra package):
    type, enum, properties, additionalProperties, required, items, anyOf, oneOf, $ref,
    minimum/maximum."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    problems: list[str] = []
    if "anyOf" in node:
        if all(_check(schema, n, value, where) for n in node["anyOf"]):
            problems.append(f"{where}: none of anyOf")
    if "oneOf" in node:
        if sum(not _check(schema, n, value, where) for n in node["oneOf"]) != 1:
            problems.append(f"{where}: not exactly one of oneOf")
    if "enum" in node and value not in node["enum"]:
        problems.append(f"{where}: {value!r} not in enum")
    kinds = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
             "object": dict, "array": list, "null": type(None)}
    t = node.get("type")
    if t and not (isinstance(value, kinds[t]) and not (t in ("integer", "number")
                                                        and isinstance(value, bool))):
        return problems + [f"{where}: not {t}"]
    for key, ok in (("minimum", lambda v, m: v >= m), ("maximum", lambda v, m: v <= m),
                    ("exclusiveMinimum", lambda v, m: v > m)):
        if key in node and isinstance(value, (int, float)) and not ok(value, node[key]):
            problems.append(f"{where}: {key}")
    if isinstance(value, dict):
        for k in node.get("required", []):
            if k not in value:
                problems.append(f"{where}: missing {k}")
        props = node.get("properties", {})
        extra = node.get("additionalProperties", True)
        for k, v in value.items():
            if k in props:
                problems += _check(schema, props[k], v, f"{where}.{k}")
            elif extra is False:
                problems.append(f"{where}: unknown key {k}")
            elif isinstance(extra, dict):
                problems += _check(schema, extra, v, f"{where}.{k}")
    if isinstance(value, list) and "items" in node:
        for i, v in enumerate(value):
            problems += _check(schema, node["items"], v, f"{where}.{i}")
    return problems


def test_json_schema_accepts_the_shipped_studies_and_refuses_wrong_forms():
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    for name in ("demo_ccsi.yaml", "example_file.yaml"):
        study = yaml.safe_load((ROOT / "studies" / name).read_text(encoding="utf-8"))
        assert _check(schema, schema, study) == [], name
    base = {"id": "s", "title": "T", "questionnaire": "ccsi"}
    assert _check(schema, schema, {**base, "data": ["file.csv"]})
    assert _check(schema, schema, {**base, "data": [{"file": "x.csv"}]})
    assert _check(schema, schema, {**base, "data": [{}]})  # neither path nor simulate
    assert _check(schema, schema, {**base, "data": [{"path": "x", "simulate": {"n": 5}}]})
    assert _check(schema, schema, {**base, "data": [{"path": "x"}], "pls": {"scheme": "x"}})
    assert not _check(schema, schema, {**base, "data": [{"path": "x"}], "title": {"en": "T"}})


def test_cli_prints_the_schema_and_the_page(capsys):
    assert main(["schema", "study"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()
    assert main(["schema", "study", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown() + ("" if markdown().endswith("\n") else "\n")
    assert main(["schema", "questionnaires"]) == 2
    assert "'study'" in capsys.readouterr().err


def _study_error(tmp_path: Path, body: str) -> InputError:
    f = tmp_path / "s.yaml"
    f.write_text("id: s\ntitle: T\nquestionnaire: ccsi\n" + body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_study(f)
    return err.value


@pytest.mark.parametrize("body, says, never", [
    # a bare file name: the accepted forms, not pydantic's "instance of DataSource"
    ("data: [file.csv]\n", ["expected a mapping", "{path: FILE}", "{simulate:"],
     ["DataSource", "instance"]),
    ("data: file.csv\n", ["expected a list", "{path: FILE}"], ["DataSource"]),
    # a wrong key in a data entry: the forms there, never a top-level key ("title")
    ("data:\n  - file: x.csv\n", ["unknown key 'file'", "{path: FILE}"], ["'title'"]),
    ("data:\n  - titl: x.csv\n", ["unknown key 'titl'", "{path: FILE}"], ["'title'"]),
    ("data:\n  - {path: x.csv, mapp: {}}\n", ["did you mean 'mapping'"], ["'title'"]),
    ("data:\n  - {}\n", ["exactly one of 'path' or 'simulate'", "{path: FILE}"], []),
    ("data: [{simulate: {n: 5, sed: 1}}]\n", ["did you mean 'seed'"], ["'title'"]),
    ("data: [{simulate: {n: 5}}]\ntitel: x\n", ["did you mean 'title'"], []),
    ("data: [{simulate: {n: 5}}]\npls: {bootstrapp: 5}\n", ["did you mean 'bootstrap'"], []),
    ("data: [{simulate: {n: 5}}]\npls: 5\n", ["expected a mapping", "scheme, bootstrap"],
     ["PLSOptions"]),
    ("data: [{simulate: {n: 5}}]\nanalytics: {transactions: {customer: c}}\n",
     ["{simulate: SEED}"], []),
])
def test_study_errors_name_the_forms_allowed_at_that_place(tmp_path, body, says, never):
    text = _study_error(tmp_path, body).one_line()
    for s in says:
        assert s in text, text
    for s in never:
        assert s not in text, text
    assert "\n" not in text


def test_questionnaire_did_you_mean_looks_only_at_that_place(tmp_path):
    from crmsurvey import load_questionnaire

    text = (ROOT / "questionnaires" / "acsi.yaml").read_text(encoding="utf-8")
    assert "  CE:   {label:" in text
    f = tmp_path / "q.yaml"
    for key, says, never in (("lable", "did you mean 'label'", "xx"),
                             # 'titl' is close to the top-level 'title', not to a
                             # construct's keys: the hint lists those instead
                             ("titl", "allowed keys: label, ", "'title'")):
        f.write_text(text.replace("  CE:   {label:", "  CE:   {%s: x, label:" % key, 1),
                     encoding="utf-8")
        with pytest.raises(InputError) as err:
            load_questionnaire(f)
        line = err.value.one_line()
        assert f"unknown key {key!r}" in line and says in line and never not in line, line


def test_example_data_is_what_its_documented_command_writes(tmp_path):
    study = (ROOT / "studies" / "example_file.yaml").read_text(encoding="utf-8")
    command = re.search(r"^#\s+(crmsurvey simulate .*)$", study, re.M).group(1).split()
    out = command.index("-o") + 1
    shipped = ROOT / command[out]
    command[out] = str(tmp_path / "fresh.csv")
    assert main(command[1:]) == 0
    assert (tmp_path / "fresh.csv").read_bytes() == shipped.read_bytes(), (
        "studies/example_data is stale: rerun the command in studies/example_file.yaml")
    loaded = load_study(ROOT / "studies" / "example_file.yaml")
    assert loaded.definition.data[0].path == "example_data/ccsi_responses.csv"


# --- item 4: the README runs ----------------------------------------------------------

#: The fences the README test runs; a plain ``` fence holding commands is refused.
_RUN = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python", "py": "python"}
_FENCE = re.compile(r"^(?:<!--\s*not run:\s*(?P<why>[^>]*?)\s*-->\n)?```(?P<lang>[\w-]*)\n"
                    r"(?P<body>.*?)^```$", re.M | re.S)
#: Time for one block, and for the whole README.
_BLOCK_SECONDS, _README_SECONDS = 120, 240
#: Why a README block may be left out: it installs system packages (needs root), it is
#: the test suite itself, it needs machines other than this one, or it takes a minute.
_SKIPS = ("installs system packages", "the test suite itself", "needs a Dask cluster",
          "the BG/NBD fit takes about a minute")
#: What the README's hosts may be: placeholders, or this machine.
_PRIVATE = re.compile(r"\b(?:10|127|192\.168|172\.(?:1[6-9]|2\d|3[01]))\.\d+\.\d+(?:\.\d+)?\b")


def readme_blocks(text: str) -> list[dict]:
    """The README's fenced blocks in order: language, body, the line of the fence and
    the reason it is not run (``<!-- not run: REASON -->`` just before the fence)."""
    out = []
    for m in _FENCE.finditer(text):
        out.append({"lang": m["lang"], "body": m["body"], "why": m["why"],
                    "line": text.count("\n", 0, m.start("lang")) + 1})
    return out


def test_readme_fences_are_tagged_and_skips_justified():
    blocks = readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    for b in blocks:
        if b["lang"] == "":  # a drawing or a layout, never commands to type
            assert not re.search(r"^\s*(crmsurvey|python|\./|\.venv/)", b["body"], re.M), (
                f"README line {b['line']}: a plain fence holding commands; tag it ```bash")
        if b["why"] is not None:
            assert b["lang"] in _RUN and len(b["why"]) > 10, b
    skipped = [b for b in blocks if b["why"] is not None]
    run = [b for b in blocks if b["lang"] in _RUN and b["why"] is None]
    assert len(run) >= 10
    for b in skipped:  # the only reasons a README example may be left out of the test
        assert b["why"].startswith(_SKIPS), (b["line"], b["why"])
    for b in run:
        assert "tcp://" not in b["body"] or "tcp://127.0.0.1" in b["body"], b


def test_readme_names_no_private_address():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not _PRIVATE.search(text.replace("127.0.0.1", "")), _PRIVATE.search(text)
    for host in re.findall(r"tcp://([\w.-]+)", text):
        assert host.endswith(".example") or host == "127.0.0.1", host
    assert "../shared" not in text and (ROOT / "docs" / "architecture.md").is_file()
    for link in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", text):
        assert (ROOT / link).is_file(), link


_DRIVER = r'''
import sys, traceback
ns = {"__name__": "__main__"}
for chunk in iter(lambda: sys.stdin.readline(), ""):
    size = int(chunk)
    code = sys.stdin.read(size)
    try:
        exec(compile(code, "<README block>", "exec"), ns)
        print("\0OK", flush=True)
    except BaseException:
        traceback.print_exc()
        print("\0FAIL", flush=True)
'''


@pytest.mark.slow
def test_every_readme_block_runs(tmp_path):
    """Every ```bash and ```python block of the README, in order, in a fresh folder that
    holds what a clone has (questionnaires/, studies/): the shell blocks with the
    ``crmsurvey`` command on PATH, the Python blocks in one interpreter (as in a
    notebook). Blocks marked ``<!-- not run: … -->`` are listed and skipped."""
    for folder in ("questionnaires", "studies"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1",
           # one BLAS thread per process: pytest -n 2 already fills the cores, and
           # threaded BLAS fighting over them makes the CB-SEM examples ~8x slower
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("CRMSURVEY_SCHEDULER", None)
    blocks = readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    skipped = [f"line {b['line']}: {b['why']}" for b in blocks if b["why"] is not None]
    print("not run:", *skipped, sep="\n  ")
    py = subprocess.Popen([sys.executable, "-c", _DRIVER], cwd=tmp_path, env=env,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    start = time.monotonic()
    try:
        for b in blocks:
            if b["lang"] not in _RUN or b["why"] is not None:
                continue
            left = _README_SECONDS - (time.monotonic() - start)
            assert left > 0, f"the README blocks take more than {_README_SECONDS} s"
            limit = min(_BLOCK_SECONDS, left)
            began = time.monotonic()
            if _RUN[b["lang"]] == "bash":
                done = subprocess.run(["bash", "-euo", "pipefail", "-c", b["body"]],
                                      cwd=tmp_path, env=env, capture_output=True, text=True,
                                      timeout=limit)
                assert done.returncode == 0, (
                    f"README line {b['line']} (bash) exit {done.returncode}:\n"
                    f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
            else:
                py.stdin.write(f"{len(b['body'])}\n{b['body']}")
                py.stdin.flush()
                lines = []
                while True:  # the driver says OK or FAIL after each block
                    line = py.stdout.readline()
                    assert line, "the Python driver died:\n" + "".join(lines[-40:])
                    if line.startswith("\0"):
                        break
                    lines.append(line)
                    assert time.monotonic() - start < _README_SECONDS, "README too slow"
                assert line.strip("\0\n") == "OK", (
                    f"README line {b['line']} (python):\n" + "".join(lines[-40:]))
            print(f"line {b['line']} ({b['lang']}): {time.monotonic() - began:.1f} s")
    finally:
        py.kill()
        py.wait()
    assert (tmp_path / "out" / "results.json").is_file()
