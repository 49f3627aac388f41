"""The simulated repositories are real, valid git histories whose churn and reverts match the truth tables.

The churn check is independent of the simulator: it replays ``git log -p -U0`` (what git itself says changed)
with a tiny line tracker and compares line births and deaths with ``truth.lines``; ``git blame`` checks the
lines alive at head.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from churnlab.errors import InputError
from churnlab.simulate import MARKERS, read_truth, simulate_repo, simulate_scale_repo, simulate_study

DAY = 86_400


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


# Small treated repositories with high rates, so that every mechanism shows up a few times.
SMALL = dict(months=8, developers=3, commits_per_dev_month=4.0, adoption_month=4, tool="claude", bot=True,
             base_churn=0.3, effect_churn=0.2, base_revert=0.1, effect_revert=0.1, seed=7)
SMALL_MIXED = dict(SMALL, languages=("javascript", "go", "rust"), modify_share=0.3, lines_per_commit=(1, 40),
                   max_file_lines=60, seed=23)


@pytest.fixture(scope="module", params=["python", "mixed"])
def small(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("sim") / "small"
    truth = simulate_repo(path, **(SMALL if request.param == "python" else SMALL_MIXED))
    return path, truth


def test_repository_is_valid_and_linear(small):
    path, truth = small
    assert git(path, "fsck", "--strict", "--no-dangling").strip() == ""
    shas = git(path, "rev-list", "--reverse", "main").split()
    assert shas == truth.commits.sort("seq")["sha"].to_list()
    assert git(path, "rev-list", "--merges", "main").strip() == ""
    assert truth.repos["head_sha"][0] == shas[-1]
    assert git(path, "status", "--porcelain").strip() == ""  # work tree checked out
    kinds = dict(truth.commits.group_by("kind").len().iter_rows())
    assert kinds["root"] == 1 and kinds["feature"] > 50 and kinds["edit"] > 20 and kinds["revert"] >= 3
    assert kinds["bot"] >= 3 and kinds["marker"] == 1


def test_authors_emails_and_utc_offsets(small):
    path, truth = small
    rows = [line.split("\x1f") for line in git(path, "log", "--format=%H\x1f%an\x1f%ae\x1f%at\x1f%ai").splitlines()]
    emails = {r[2] for r in rows}
    assert "49699333+dependabot[bot]@users.noreply.github.com" in emails
    assert len(emails) == 4  # three developers and the bot
    t = truth.commits.select("sha", "author_email", "author_time", "author_tz_offset_min")
    by_sha = {r[0]: r for r in t.iter_rows()}
    for sha, _name, email, epoch, iso in rows:
        _, e, when, tz = by_sha[sha]
        assert e == email and int(when.timestamp()) == int(epoch)
        sign = -1 if iso[-5] == "-" else 1
        assert sign * (int(iso[-4:-2]) * 60 + int(iso[-2:])) == tz
    assert truth.commits["author_tz_offset_min"].n_unique() >= 2


def test_marker_added_in_adoption_month_and_trailers_after(small):
    path, truth = small
    marker = MARKERS["claude"][0]
    added = git(path, "log", "--diff-filter=A", "--format=%H %at", "--", marker).split()
    repo = truth.repos.row(0, named=True)
    assert added[0] == repo["marker_sha"]
    start = repo["adoption_start"]
    end = (start + timedelta(days=32)).replace(day=1)
    assert start.timestamp() <= int(added[1]) < end.timestamp()
    log = git(path, "log", "--format=%H%x1f%at%x1f%B%x1e")
    trailer = MARKERS["claude"][1]
    with_trailer = {e.split("\x1f")[0].strip() for e in log.split("\x1e") if trailer in e}
    assert with_trailer == set(truth.commits.filter("ai_trailer")["sha"])
    assert len(with_trailer) >= 3
    times = truth.commits.filter("ai_trailer")["author_time"]
    assert times.min() >= start


def test_reverts_name_real_commits_and_are_exact_inverses(small):
    path, truth = small
    log = git(path, "log", "--format=%H%x1f%s%x1f%b%x1e")
    found = {}
    for entry in filter(str.strip, log.split("\x1e")):
        sha, subject, body = entry.strip("\n").split("\x1f")
        m = re.search(r"This reverts commit ([0-9a-f]{40})\.", body)
        if m:
            found[sha] = m.group(1)
            assert subject.startswith('Revert "')
    expected = dict(truth.commits.filter(pl.col("kind") == "revert").select("sha", "reverts_sha").iter_rows())
    assert found == expected and len(found) >= 3
    for revert, target in found.items():
        assert git(path, "cat-file", "-t", target).strip() == "commit"
        forward = git(path, "diff", f"{target}^", target)
        backward = git(path, "diff", revert, f"{revert}^")
        assert forward == backward and forward
        subject = git(path, "log", "-1", "--format=%s", target).strip()
        assert git(path, "log", "-1", "--format=%s", revert).strip() == f'Revert "{subject}"'
    lags = truth.commits.filter(pl.col("reverted_by_sha").is_not_null())["revert_lag_days"]
    assert lags.min() >= 1 and lags.max() <= 20


def replay_git_history(path: Path) -> tuple[dict, dict, dict]:
    """Line births and deaths from ``git log -p -U0``: {(birth_sha, path, text): (birth_time, death_time)}."""
    out = git(path, "log", "--reverse", "-p", "-U0", "--no-renames", "--format=\x1e%H %at")
    files: dict[str, list[tuple[str, int, str]]] = defaultdict(list)  # path -> [(birth sha, time, text)]
    life: dict[tuple[str, str], tuple[int, int | None]] = {}
    times: dict[str, int] = {}
    for commit in filter(None, out.split("\x1e")):
        lines = commit.split("\n")
        sha, when = lines[0].split()
        when = int(when)
        times[sha] = when
        cur_path = None
        old: list = []
        new: list = []
        pos = 0
        i = 1

        def finish():
            if cur_path is not None:
                new.extend(old[pos:])
                if new:
                    files[cur_path] = new
                else:
                    files.pop(cur_path, None)

        while i < len(lines):
            line = lines[i]
            if line.startswith("diff --git"):
                finish()
                cur_path = line.split(" b/", 1)[1]
                old, new, pos = files.get(cur_path, []), [], 0
            elif line.startswith("@@"):
                a, b, c, d = map(int, re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@",
                                              line).groups(default="1"))
                keep = a if b == 0 else a - 1
                new.extend(old[pos:keep])
                for dead in old[keep:keep + b]:
                    life[(dead[0], cur_path, dead[2])] = (dead[1], when)
                pos = keep + b
                i += 1 + b  # removed lines (their content is in `old`)
                for k in range(d):
                    text = lines[i + k][1:]
                    new.append((sha, when, text))
                    life[(sha, cur_path, text)] = (when, None)
                i += d
                continue
            i += 1
        finish()
    return files, life, times


def test_churn_truth_matches_plain_git_replay(small):
    path, truth = small
    files, life, _ = replay_git_history(path)
    measured = {k: v for k, v in life.items() if k[1] != "package-lock.json"}
    git_churned = {(sha, text) for (sha, _p, text), (born, died) in measured.items()
                   if died is not None and died - born < 14 * DAY}
    git_revised = {(sha, text) for (sha, _p, text), (born, died) in measured.items() if died is not None}
    lines = truth.lines
    assert len(measured) == lines.height
    assert git_churned == set(lines.filter("churned_14d").select("birth_sha", "text").iter_rows())
    assert git_revised == set(lines.filter(pl.col("revised_sha").is_not_null()).select("birth_sha", "text").iter_rows())
    assert 0 < len(git_churned) < len(measured)
    # nothing outside the design: a line revised after 14 days was removed by the revert of its own commit
    late = lines.filter(pl.col("revised_sha").is_not_null() & ~pl.col("churned_14d"))
    assert set(late["revision"]) <= {"reverted"}
    assert (late["planned"] == "revert").all()
    # edits revise exactly the lines the design selected, 1-13 days after birth
    edits = lines.filter(pl.col("planned") == "edit", pl.col("revised_sha").is_not_null())
    lag = (edits["revised_time"] - edits["birth_time"]).dt.total_seconds() / DAY
    assert lag.min() >= 1 and lag.max() < 14


def test_blame_at_head_matches_truth_alive_lines(small):
    path, truth = small
    alive = set(truth.lines.filter(pl.col("revised_sha").is_null()).select("birth_sha", "text").iter_rows())
    blamed = set()
    for f in git(path, "ls-files").split():
        if f == "package-lock.json":
            continue
        out = git(path, "blame", "--line-porcelain", "--", f)
        sha = None
        for line in out.splitlines():
            if re.match(r"^[0-9a-f]{40} ", line):
                sha = line[:40]
            elif line.startswith("\t"):
                blamed.add((sha, line[1:]))
    assert blamed == alive


def test_same_seed_same_shas(tmp_path: Path):
    kw = dict(months=3, developers=2, commits_per_dev_month=3.0, adoption_month=1, bare=True, name="demo")
    a = simulate_repo(tmp_path / "a", seed=3, **kw)
    b = simulate_repo(tmp_path / "b", seed=3, **kw)
    c = simulate_repo(tmp_path / "c", seed=4, **kw)
    assert a.commits["sha"].to_list() == b.commits["sha"].to_list()
    assert a.lines.equals(b.lines)
    assert a.repos["head_sha"][0] != c.repos["head_sha"][0]
    assert git(tmp_path / "a", "rev-parse", "--is-bare-repository").strip() == "true"


def test_design_rates_pool_to_the_truth(tmp_path: Path):
    truth = simulate_repo(tmp_path / "r", months=20, developers=6, commits_per_dev_month=6.0, adoption_month=10,
                          base_churn=0.2, effect_churn=0.1, base_revert=0.05, effect_revert=0.05, bare=True, seed=11)
    cells = truth.cells()
    pooled = cells.group_by("post").agg(
        churn=pl.col("lines_churned_14d").sum() / pl.col("lines_added_uncensored").sum(),
        revert=pl.col("commits_reverted_30d").sum() / pl.col("commits_uncensored").sum(),
    )
    got = {r[0]: r[1:] for r in pooled.iter_rows()}
    assert got[False][0] == pytest.approx(0.2, abs=0.03) and got[True][0] == pytest.approx(0.3, abs=0.03)
    assert got[False][1] == pytest.approx(0.05, abs=0.025) and got[True][1] == pytest.approx(0.10, abs=0.03)
    assert cells.height == 20 and cells["period"].to_list() == list(range(20))


def test_study_truth_is_written_and_read_back(tmp_path: Path):
    truth = simulate_study(tmp_path / "st", n_repos=4, months=6, developers=2, commits_per_dev_month=2.0,
                           share_treated=0.5, adoption_months=[2, 3], seed=5, bare=True)
    assert sorted(p.name for p in (tmp_path / "st").iterdir()) == ["repo_000", "repo_001", "repo_002", "repo_003",
                                                                    "truth"]
    back = read_truth(tmp_path / "st")
    assert back.repos.equals(truth.repos) and back.commits.equals(truth.commits) and back.lines.equals(truth.lines)
    assert back.params["seed"] == 5 and truth.att == {"churn_rate_14d": 0.10, "revert_rate_30d": 0.05}
    assert truth.repos["treated"].sum() == 2
    assert truth.repos.filter(~pl.col("treated"))["cohort"].null_count() == 2
    assert set(truth.repos.filter("treated")["cohort"]) <= {2, 3}
    cells = truth.cells()
    assert cells.height == 4 * 6
    assert cells.filter("post")["p_churn"].unique().to_list() == [pytest.approx(0.25)]
    for row in truth.repos.iter_rows(named=True):
        n = int(git(Path(row["path"]), "rev-list", "--count", "main"))
        assert n == row["n_commits"]


def test_invisible_and_trailer_only_adoption(tmp_path: Path):
    kw = dict(months=4, developers=2, commits_per_dev_month=4.0, adoption_month=2, bare=True, seed=2)
    none = simulate_repo(tmp_path / "none", ai_signal="none", **kw)
    assert none.repos["marker_sha"][0] is None and not none.commits["ai_trailer"].any()
    tr = simulate_repo(tmp_path / "tr", ai_signal="trailer", tool="cursor", trailer_share=1.0, **kw)
    assert tr.repos["marker_sha"][0] is None and tr.commits["ai_trailer"].any()
    assert "Made-with: Cursor" in git(tmp_path / "tr", "log", "--format=%B")


def test_scale_repo_with_big_generated_file(tmp_path: Path):
    truth = simulate_scale_repo(tmp_path / "big", n_commits=600, big_file_lines=5000, months=12, seed=1)
    n = truth.repos["n_commits"][0]
    assert 400 < n < 800
    size = git(tmp_path / "big", "cat-file", "-p", "main:package-lock.json").count("\n")
    assert size == 5000


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(ai_signal="trailers"), "ai_signal='trailers' is not allowed; choose one of: 'config\\+trailer'"),
        (dict(tool="gemini"), "tool='gemini' is not allowed"),
        (dict(adoption_month=12), "adoption_month must be None"),
        (dict(base_churn=0.01, base_revert=0.2), "below revert probability"),
        (dict(churn_lag_days=(1, 20)), "churn_lag_days"),
        (dict(languages=("cobol",)), "languages item='cobol' is not allowed"),
        (dict(start="2023-01-15"), "first day of a month"),
        (dict(base_churn=1.5), "base_churn must be a probability"),
    ],
)
def test_bad_options_raise_input_error(tmp_path: Path, kwargs, match):
    with pytest.raises(InputError, match=match):
        simulate_repo(tmp_path / "x", **kwargs)


def test_study_rejects_bad_adoption_months_and_non_empty_folder(tmp_path: Path):
    with pytest.raises(InputError, match="adoption_months must be ints in 1..5"):
        simulate_study(tmp_path / "s", months=6, adoption_months=[0, 3])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        simulate_study(tmp_path / "full", n_repos=1, months=3)


def test_relative_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from churnlab.simulate import simulate_repo

    truth = simulate_repo("rel/repo", months=2, developers=1, seed=3)
    assert (tmp_path / "rel" / "repo" / ".git").is_dir() and truth.commits.height > 0
