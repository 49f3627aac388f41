"""The repository is read the same way whatever its object format (SHA-1 or SHA-256) and the user's git settings."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from churnlab.mine import mine


def _history(repo) -> None:
    """A side branch with a rename, a merge, an update, a copy/paste, a revert and a deletion."""
    repo.write("app.py", ["def total(xs):", "    return sum(xs)", "", "RATE = 3", "NAME = 'demo'"])
    repo.commit(0)
    repo.checkout("-b", "side")
    repo.move("app.py", "core.py")
    repo.write("util.py", ["def helper(value):", "    return value * 2"])
    repo.commit(1, "bob")
    repo.checkout("main")
    repo.write("app.py", ["def total(xs):", "    return sum(xs)", "", "RATE = 4", "NAME = 'demo'"])
    repo.commit(2)
    repo.merge("side", 3)
    repo.write("extra.py", ["def helper(value):", "    return value * 2", "print(helper(21))"])
    pasted = repo.commit(4, "carol")
    repo.revert(pasted, 5, "bob")
    repo.remove("util.py")
    repo.commit(20)


def _by_commit_order(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Every table with commit ids (any text column holding only commit ids) replaced by the commit's position
    in time, and blob ids left out: ids are what differs between the formats."""
    order = tables["commits"].sort("author_time").with_row_index("commit_no").select("sha", "commit_no")
    shas = set(order["sha"].to_list())
    out = {}
    for name, frame in tables.items():
        for col in [c for c, t in frame.schema.items() if t == pl.String]:
            held = set(frame[col].drop_nulls().to_list())
            if held and held <= shas:
                frame = frame.join(order.rename({"sha": col, "commit_no": f"{col}_no"}), on=col, how="left").drop(col)
        frame = frame.drop([c for c in frame.columns if c.endswith("_blob")])
        if "parents" in frame.columns:
            frame = frame.with_columns(pl.col("parents").list.len())
        out[name] = frame.sort(frame.columns)
    return out


def test_sha256_repository_gives_the_tables_of_the_same_history_in_sha1(scenario_repo_class, tmp_path):
    mined = {}
    for fmt in ("sha1", "sha256"):
        repo = scenario_repo_class(tmp_path / fmt, object_format=fmt)
        _history(repo)
        mined[fmt] = mine(repo.path, name="lab/formats", salt="object-format-salt").tables
    assert mined["sha256"]["commits"]["sha"].str.len_chars().unique().to_list() == [64]
    a, b = _by_commit_order(mined["sha1"]), _by_commit_order(mined["sha256"])
    assert sorted(a) == sorted(b)
    for name in a:
        assert_frame_equal(a[name], b[name])
    # the line stage read every commit: on the old code a SHA-256 history gave empty line tables
    assert mined["sha256"]["line_ops"].height == mined["sha1"]["line_ops"].height > 0
    assert mined["sha256"]["survival"]["live_lines"].sum() > 0
    assert mined["sha256"]["reverts"].height == 1


def test_the_users_git_configuration_does_not_change_the_tables(scenario, tmp_path, monkeypatch):
    """Diff and log settings in a user's git configuration (prefixes, algorithm, rename limit, file order,
    the root commit's diff, encodings, a personal attributes file) are pinned: the tables are the same."""
    _history(scenario)
    scenario.write("notes/a_first.py", ["alpha = compute(1)", "beta = compute(2)", "gamma = compute(3)"])
    scenario.write("zeta.py", ["delta = compute(4)", "epsilon = compute(5)"])
    scenario.commit(21)
    clean = mine(scenario.path, name="lab/config", salt="object-format-salt").tables
    order = tmp_path / "order.txt"
    order.write_text("zeta.py\nnotes/*\n")
    attributes = tmp_path / "attributes"
    attributes.write_text("*.py -diff\n")  # every Python file binary, were it read
    hostile = tmp_path / "gitconfig"
    hostile.write_text(f"""[user]
\tname = someone
\temail = someone@example.com
[diff]
\tnoprefix = true
\tmnemonicPrefix = true
\talgorithm = histogram
\trenameLimit = 1
\torderFile = {order}
\tindentHeuristic = false
\tsuppressBlankEmpty = true
[log]
\tshowRoot = false
[i18n]
\tlogOutputEncoding = ISO-8859-1
[core]
\tattributesFile = {attributes}
""")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(hostile))
    configured = mine(scenario.path, name="lab/config", salt="object-format-salt").tables
    assert sorted(clean) == sorted(configured)
    for name, frame in clean.items():
        assert_frame_equal(frame, configured[name])
