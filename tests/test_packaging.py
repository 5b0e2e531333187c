"""``pip install .`` (not only editable) carries the bundled questionnaires and reports."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_for_the_wheel():
    """pyproject lists packages explicitly (the bundled folders are mapped in): a
    sub-package left off that list is missing from a wheel though an editable install works."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "crmsurvey").rglob("__init__.py")}
    assert found - listed == set()


@pytest.mark.slow
def test_wheel_install_finds_bundled_files(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info",
                                                            "build", "__pycache__", "tests"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(src)], check=True,
                   capture_output=True)
    assert (target / "crmsurvey" / "_bundled_questionnaires" / "ccsi.yaml").is_file()
    code = ("import crmsurvey, crmsurvey._resources as r; q = crmsurvey.load_questionnaire('ccsi');"
            "s = crmsurvey.load_study('demo_ccsi');"
            "import crmsurvey.fielding, crmsurvey.weighting, crmsurvey.study.story, "
            "crmsurvey.report.sections, crmsurvey.cli;"
            "ok = (r.bundled_dir('reports') / 'default' / 'report.html.j2').is_file() and "
            "(r.bundled_dir('reports') / 'questionnaire' / 'questionnaire.html.j2').is_file();"
            "print(crmsurvey.__file__, ok, len(q.items) + 0 * len(s.index_constructs))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    path, has_reports, n = out.stdout.split()
    assert path.startswith(str(target)) and has_reports == "True" and int(n) > 20
