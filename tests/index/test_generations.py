"""Leases on index generations: a reader that loses the race with a removal opens the next one."""

from __future__ import annotations

import pathlib

from healthqa.index.generations import Lease, collect, new_generation
from healthqa.ingest.datadir import claim, recorded


def test_a_generation_removed_before_its_lease_is_taken_sends_the_reader_to_the_next(tmp_path: pathlib.Path) -> None:
    claim(str(tmp_path))
    gone, live = new_generation(str(tmp_path)), new_generation(str(tmp_path))
    (tmp_path / "index").symlink_to(pathlib.Path(live).name)
    assert collect(str(tmp_path)) == [pathlib.Path(gone).name]  # removed: no lease held it
    asked = iter([gone, live])
    lease = Lease(lambda: next(asked))
    try:
        assert lease.generation == live
        assert collect(str(tmp_path)) == [] and pathlib.Path(live).is_dir()
    finally:
        lease.close()
    assert set(recorded(str(tmp_path))) == {pathlib.Path(live).name}


def test_a_leased_generation_outlives_collection_until_released(tmp_path: pathlib.Path) -> None:
    claim(str(tmp_path))
    old, new = new_generation(str(tmp_path)), new_generation(str(tmp_path))
    (tmp_path / "index").symlink_to(pathlib.Path(new).name)
    lease = Lease(lambda: old)
    assert collect(str(tmp_path)) == [] and pathlib.Path(old).is_dir()
    lease.close()
    assert collect(str(tmp_path)) == [pathlib.Path(old).name] and not pathlib.Path(old).exists()
