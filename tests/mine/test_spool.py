"""A mine keeps its tables on disk while it runs (:mod:`churnlab.mine.spool`) and writes them from their parts.

What must hold: the tables do not depend on the sizes of the parts (stage 1's chunks, the line stage's flushed
rows, the written row groups), a mine that writes its tables returns the same tables as one that does not, and
the line_ops rows come in the commits' order.
"""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest
from test_overlap import SALT, run

from churnlab import io
from churnlab.mine import STAGES, WrittenTables, mine
from churnlab.mine.spool import Spool, whole


def test_a_spool_gives_its_parts_back_in_order(tmp_path):
    spool = Spool(tmp_path, "t")
    assert spool.frame().is_empty() and spool.frame().columns == []
    spool.append(pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
    spool.append(pl.DataFrame({"a": [], "b": []}, schema={"a": pl.Int64, "b": pl.String}))  # kept: parts pair up
    spool.append(pl.DataFrame({"a": [3], "b": ["z"]}))
    assert spool.height == 3 and spool.frame().columns == ["a", "b"]
    assert [p.height for p in spool.parts()] == [2, 0, 1]
    assert spool.frame().to_dict(as_series=False) == {"a": [1, 2, 3], "b": ["x", "y", "z"]}
    assert spool.frame(["b"]).columns == ["b"]
    assert whole(spool, ["a"])["a"].to_list() == [1, 2, 3]
    assert whole(pl.DataFrame({"a": [1], "b": [2]}), ["b"]).columns == ["b"]
    with pytest.raises(ValueError, match="part columns"):
        spool.append(pl.DataFrame({"b": ["w"], "a": [4]}))
    empty = Spool(tmp_path, "t")  # a second spool of the same name has a folder of its own
    empty.append(pl.DataFrame({"a": []}, schema={"a": pl.Int64}))
    assert empty.folder != spool.folder and empty.frame().schema == {"a": pl.Int64}


@pytest.fixture
def tiny_parts(monkeypatch):
    """Every chunk, flush and written row group as small as it can be."""
    def apply():
        monkeypatch.setattr("churnlab.mine.history._FLUSH_COMMITS", 1)
        monkeypatch.setattr("churnlab.mine.provenance._FLUSH_ROWS", 1)
        monkeypatch.setattr(io, "PART_ROWS", 2)
    return apply


@pytest.mark.parametrize("options", [{}, {"first_parent": True}])
@pytest.mark.parametrize("written", [False, True])
def test_tables_do_not_depend_on_part_sizes(branchy, tiny_parts, tmp_path, options, written):
    default = run(branchy, **options)
    tiny_parts()
    parted = run(branchy, out=tmp_path / "out" if written else None, **options)
    assert isinstance(parted.tables, WrittenTables) == written
    assert parted.tables.keys() == default.tables.keys()
    for name in default.tables:
        assert parted.tables[name].equals(default.tables[name]), name
    for name in ("commits", "file_changes", "line_ops", "churn", "revert_flags"):  # several parts of 2 rows
        assert default.tables[name].height > 2, name
    if written:
        assert "patch_fingerprints" not in parted.extras  # spooled internal frames go with the scratch folder
    else:
        assert parted.extras["patch_fingerprints"].equals(default.extras["patch_fingerprints"])
    assert parted.extras["live_births"].equals(default.extras["live_births"])


def test_written_and_returned_tables_are_the_same(branchy, tmp_path):
    returned = run(branchy)
    written = run(branchy, out=tmp_path / "out")
    assert written.paths.keys() == written.tables.keys() == returned.tables.keys()
    for name, path in written.paths.items():
        on_disk = io.read_table(path, name)
        assert on_disk.equals(returned.tables[name]) and written.tables[name].equals(on_disk), name
        assert written.scan(name).collect().equals(on_disk)
    assert written.summary().splitlines()[1:] == returned.summary().splitlines()[1:]  # the first line has times


def test_line_ops_rows_follow_the_commits(branchy):
    result = run(branchy)
    order = {sha: i for i, sha in enumerate(result.tables["commits"]["sha"])}
    ops = result.tables["line_ops"].with_columns(at=pl.col("sha").replace_strict(order, return_dtype=pl.Int64))
    assert ops["at"].is_sorted()  # the commits' order
    assert ops.equals(ops.sort("at", "path"))  # a commit's paths sorted
    assert ops.group_by("sha").len()["len"].max() > 1  # some commit has several paths


def test_a_mine_writes_nothing_when_a_later_stage_fails(branchy, tmp_path, monkeypatch):
    def broken(ctx):
        raise RuntimeError("the signals stage broke")

    stages = [dataclasses.replace(s, run=broken) if s.name == "signals" else s for s in STAGES]
    monkeypatch.setattr("churnlab.mine.STAGES", stages)
    with pytest.raises(RuntimeError, match="signals stage broke"):
        mine(branchy.path, tmp_path / "out", name="scenario", salt=SALT)
    assert not list((tmp_path / "out").rglob("*.parquet"))


def test_an_incremental_mine_without_new_commits_gives_the_full_tables(branchy, tmp_path):
    # the stored rows are the only part with data: the empty parts of the new commits must not change them
    run(branchy, out=tmp_path / "data")
    again = run(branchy, out=tmp_path / "data")
    full = run(branchy)
    assert again.new_commits == 0 and again.provenance["incremental_from"] == full.head
    for name in full.tables:
        assert again.tables[name].equals(full.tables[name]), name
