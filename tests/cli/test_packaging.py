"""The package installs under one ``healthqa`` namespace: nothing generic in site-packages."""

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_holds_only_the_healthqa_namespace(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("healthqa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"healthqa", "healthqa-0.1.0.dist-info"}
    for package in ("ingest", "index", "search"):
        assert f"healthqa/{package}/__init__.py" in names
    assert "healthqa/search/qtype_model.json" in names  # the question-type model ships with the code


def test_the_three_packages_import_under_healthqa():
    import healthqa.index.schema
    import healthqa.ingest.record
    import healthqa.search.searcher

    assert healthqa.ingest.record.QAPage.__module__ == "healthqa.ingest.record"
    assert healthqa.index.schema.__name__ == "healthqa.index.schema"
    assert healthqa.search.searcher.Searcher.__module__ == "healthqa.search.searcher"
