"""``related --all`` writes page text as data, escaped like every other JSON output (audit finding 7)."""

from __future__ import annotations

import json
import pathlib

from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.index.writer import sync
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store

HOSTILE = [
    QAPage(id=f"<script>alert({n})</script>&{n}", source="test", format="test", origin=f"/pages/{n}",
           question=f"<script>alert({n})</script> What helps a migraine & why\u2028{n}?", topic="Migraine",
           answers=(Answer(text="Rest in a dark room helps a migraine.\x9b"),))
    for n in range(3)
]


def test_related_all_and_update_escape_markup_like_every_json_output(tmp_path: pathlib.Path) -> None:
    data_dir, out = str(tmp_path / "data"), tmp_path / "related.jsonl"
    with Store.open(data_dir) as store:
        with store.transaction():
            for record in HOSTILE:
                store.put(record)
        sync(data_dir, store)
    runner = CliRunner()
    for args in (["--all", "--out", str(out)], ["--update", str(out)]):
        result = runner.invoke(cli, ["--data-dir", data_dir, "related", *args, "--workers", "1"])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert not set("<>&\u2028\x9b") & set(text), text[:300]
        lines = [json.loads(line) for line in text.splitlines()]
        assert sorted(line["id"] for line in lines) == sorted(r.id for r in HOSTILE)  # the same data, escaped
        assert {r["id"] for line in lines for r in line["related"]} <= {r.id for r in HOSTILE}
        assert any(line["related"] for line in lines)
