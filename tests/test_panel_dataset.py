"""from_dataset on a hand-built dataset: every outcome of every cell checked against hand arithmetic.

Two repositories, three months (2025-01..03). ``a/x`` adopts by trailer on 2025-02-12 (first_any) and adds a
marker file on 2025-03-01 (first_config); ``b/y`` shows no signal. An agent bot with its own identity signal
commits in ``a/x`` and must not become a unit of the author panels.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from churnlab import io, schemas
from churnlab.errors import InputError
from churnlab.panel import from_dataset


def T(m, d):
    return dt.datetime(2025, m, d, 12, tzinfo=dt.UTC)


def _frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """Rows of ``table`` with every column not given set to its neutral value (null, 0, False, [])."""
    spec = schemas.get(table)
    filled = []
    for row in rows:
        full = {}
        for c in spec.columns:
            if c.name in row:
                full[c.name] = row[c.name]
            elif c.nullable:
                full[c.name] = None
            elif c.dtype == schemas.UTC_US:
                full[c.name] = T(1, 1)
            else:
                full[c.name] = {"bool": False, "string": ""}.get(str(c.dtype), [] if "list" in str(c.dtype) else 0)
        filled.append(full)
    return pl.from_arrow(io.validate(pl.DataFrame(filled, infer_schema_length=None), table))


# sha: repo, author, time, is_bot, is_merge
COMMITS = {
    "c1": ("a/x", "u1", T(1, 5), False, False),
    "c2": ("a/x", "u2", T(1, 20), False, False),
    "c3": ("a/x", "u1", T(2, 12), False, False),  # AI trailer; a bulk commit
    "c4": ("a/x", "bot", T(2, 15), True, False),  # an agent bot, identity signal
    "c5": ("a/x", "u2", T(2, 20), False, True),  # merge
    "c6": ("a/x", "u2", T(3, 1), False, False),  # adds CLAUDE.md; censored for churn and reverts
    "d1": ("b/y", "u3", T(1, 10), False, False),
}
# sha: meaningful, revising (self, others), authored, churned, censored, duplicate block, bulk, reverted_30d
CHURN = {
    "c1": (12, 1, 0, 10, 2, False, False, False, False),
    "c2": (20, 0, 3, 20, 0, False, True, False, True),
    "c3": (6000, 0, 0, 6000, 600, False, True, True, False),
    "c4": (8, 0, 0, 8, 8, False, True, False, False),
    "c6": (5, 0, 0, 5, 1, True, False, False, None),
    "d1": (4, 2, 0, 4, 1, False, False, False, False),
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("dataset")
    tables: dict[str, list[dict]] = {t: [] for t in ("commits", "churn", "revert_flags", "signals", "adoption")}
    for sha, (repo, author, t, bot, merge) in COMMITS.items():
        tables["commits"].append(dict(repo=repo, sha=sha, author_id=author, committer_id=author, author_time=t,
                                      committer_time=t, is_bot=bot, is_merge=merge, on_first_parent=True,
                                      parents=["p", "q"] if merge else ["p"]))
    for sha, (mean, rs, ro, auth, ch, cens, dup, bulk, rev) in CHURN.items():
        repo = COMMITS[sha][0]
        tables["churn"].append(dict(repo=repo, sha=sha, is_bulk=bulk, meaningful_lines=mean, has_duplicate_block=dup,
                                    revised_lines=rs + ro, churn_self_w14=rs, churn_others_w14=ro,
                                    authored_lines=auth, authored_churned_w14=ch, censored_w14=cens))
        tables["revert_flags"].append(dict(repo=repo, sha=sha, author_time=COMMITS[sha][2],
                                           reverted_within_30d=rev))
    tables["signals"] += [
        dict(repo="a/x", sha="c3", author_id="u1", author_time=T(2, 12), kind="trailer", tool="claude", pattern="t"),
        dict(repo="a/x", sha="c4", author_id="bot", author_time=T(2, 15), kind="identity", tool="claude", pattern="i"),
        dict(repo="a/x", sha="c6", author_id="u2", author_time=T(3, 1), kind="path", tool="claude", event="added",
             path="CLAUDE.md", present_after=True, pattern="CLAUDE.md"),
    ]
    tables["adoption"] += [
        dict(repo="a/x", level="repo", first_config_time=T(3, 1), first_trailer_time=T(2, 12),
             first_any_time=T(2, 12)),
        dict(repo="a/x", level="author", author_id="u1", is_bot=False, first_trailer_time=T(2, 12),
             first_any_time=T(2, 12)),
        dict(repo="a/x", level="author", author_id="u2", is_bot=False, first_config_time=T(3, 1),
             first_any_time=T(3, 1)),
        dict(repo="a/x", level="author", author_id="bot", is_bot=True, first_trailer_time=T(2, 15),
             first_any_time=T(2, 15)),
        dict(repo="b/y", level="repo"),
    ]
    tables["line_ops"] = [  # c3 (bulk) and c4 (bot) are left out of the yearly shares
        dict(repo="a/x", sha="c1", path="a.py", added=8, deleted=2, updated=2, copy_pasted=4),
        dict(repo="a/x", sha="c3", path="big.py", added=6000),
        dict(repo="a/x", sha="c4", path="a.py", moved=8),
        dict(repo="b/y", sha="d1", path="b.py", added=4, no_op=3),
    ]
    for table, rows in tables.items():
        frame = _frame(table, rows)
        for repo in ("a/x", "b/y"):
            io.write_table(frame.filter(pl.col("repo") == repo), table, io.table_path(out, table, repo), {"repo": repo})
    return out


def _cells(panel, unit, column):
    return panel.data.filter(pl.col("unit") == unit).sort("period")[column].to_list()


def test_repo_panel_outcomes_by_hand(dataset):
    p = from_dataset(dataset)
    assert p.data.height == 2 * 3
    # a/x: Jan c1+c2; Feb c3 only (c4 bot, c5 merge); Mar c6
    assert _cells(p, "a/x", "commits") == [2, 1, 1]
    assert _cells(p, "a/x", "new_code_churn") == [2 / 30, None, None]  # Feb: bulk only; Mar: censored
    assert _cells(p, "a/x", "revision_churn") == [4 / 32, None, 0.0]
    assert _cells(p, "a/x", "revert_rate") == [0.5, 0.0, None]  # Mar: c6 censored
    assert _cells(p, "a/x", "duplicate_block_rate") == [0.5, None, 0.0]
    assert _cells(p, "a/x", "ai_share") == [0.0, 1.0, 0.0]  # the path signal of c6 is not use
    assert _cells(p, "a/x", "cohort") == [1, 1, 1]
    assert _cells(p, "b/y", "commits") == [1, 0, 0]
    assert _cells(p, "b/y", "new_code_churn") == [0.25, None, None]
    assert _cells(p, "b/y", "revision_churn") == [0.5, None, None]
    assert _cells(p, "b/y", "cohort") == [None] * 3


def test_rules_and_bulk_option(dataset):
    assert _cells(from_dataset(dataset, rule="first_config"), "a/x", "cohort") == [2, 2, 2]
    assert _cells(from_dataset(dataset, rule="first_trailer"), "a/x", "cohort") == [1, 1, 1]
    p = from_dataset(dataset, exclude_bulk=False)
    assert _cells(p, "a/x", "new_code_churn") == [2 / 30, 600 / 6000, None]
    assert _cells(p, "a/x", "duplicate_block_rate") == [0.5, 1.0, 0.0]


def test_author_panels_leave_bots_out(dataset):
    p = from_dataset(dataset, unit="author_repo")
    assert sorted(p.data["unit"].unique().to_list()) == ["a/x::u1", "a/x::u2", "b/y::u3"]
    assert _cells(p, "a/x::u1", "commits") == [1, 1, 0]
    assert _cells(p, "a/x::u1", "cohort") == [1] * 3
    assert _cells(p, "a/x::u2", "cohort") == [2] * 3
    assert _cells(p, "a/x::u2", "commits") == [1, 0, 1]  # the merge is not a commit of the panel
    a = from_dataset(dataset, unit="author")
    assert sorted(a.data["unit"].unique().to_list()) == ["u1", "u2", "u3"]


def test_yearly_summary_and_operation_shares_by_hand(dataset):
    from churnlab.analysis import yearly_operation_shares, yearly_summary

    # human, non-merge, non-bulk commits: c1, c2, c6, d1
    row = yearly_summary(dataset).row(0, named=True)
    assert row == dict(year=2025, commits=4, changed_lines=41, churn_changed_w14=6 / 41,
                       new_code_churn_w14=3 / 34,  # c6 is censored
                       duplicate_block_commits=1 / 4, revert_rate_30d=1 / 3)  # c6 has no 30-day flag
    only_b = yearly_summary(dataset, repos=["b/y"]).row(0, named=True)
    assert (only_b["commits"], only_b["new_code_churn_w14"], only_b["revert_rate_30d"]) == (1, 0.25, 0.0)
    shares = dict(yearly_operation_shares(dataset).select("operation", "share").rows())
    assert shares == dict(added=0.6, deleted=0.1, updated=0.1, moved=0.0, copy_pasted=0.2, find_replaced=0.0)
    assert dict(yearly_operation_shares(dataset, repos=["b/y"]).select("operation", "share").rows())["added"] == 1.0
    with pytest.raises(InputError, match="list of repository names"):
        yearly_summary(dataset, repos="b/y")
