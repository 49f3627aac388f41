"""Properties of line provenance on random edit scripts, and parity with git blame.

Each example builds a repository from a random script: commits on main and on feature branches (creating,
editing, moving, copying, renaming and deleting files), merged back with --no-ff. Then:

- after every first-parent commit, the tracked live lines of each file are as many as in the checked-out tree;
- every changed line of a text file gets exactly one label: labels add up to git numstat per file;
- first-parent mode: live lines at the head by birth commit equal ``git blame --first-parent`` exactly;
- default mode: they equal plain ``git blame`` (lines are unique here, so crediting merges is exact).

The blame checks run ``git blame`` once per file: they are the reference, not the code under test.
"""

from __future__ import annotations

import itertools
from collections import Counter

import polars as pl
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from churnlab.mine import mine
from churnlab.mine import lines as L

# Shrinking a repository-building example takes minutes; failures print the unshrunk script instead.
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _edit(repo, data, prefix: str, counter, repeats: list[str]) -> None:
    """One random file operation on the files whose names start with ``prefix``."""
    files = sorted(p.name for p in repo.path.iterdir() if p.name.startswith(prefix))

    def fresh(n: int) -> list[str]:
        out = []
        for _ in range(n):
            if repeats and data.draw(st.integers(0, 5)) == 0:
                out.append(data.draw(st.sampled_from(repeats)))  # a repeated line: copies, duplicates
            else:
                out.append(f"value_{next(counter)} = compute({data.draw(st.integers(0, 9))})")
            if data.draw(st.integers(0, 7)) == 0:
                out.append(data.draw(st.sampled_from(["", "}", "else:", "    pass"])))
        return out

    action = data.draw(st.sampled_from(["create", "insert", "delete", "replace", "rename", "remove", "move",
                                        "copy", "reindent"]) if files else st.just("create"))
    if action == "create":
        repo.write(f"{prefix}{next(counter)}.py", fresh(data.draw(st.integers(1, 8))))
        return
    name = data.draw(st.sampled_from(files))
    text = repo.read(name)
    at = data.draw(st.integers(0, len(text)))
    span = data.draw(st.integers(1, 4))
    if action == "insert":
        text[at:at] = fresh(span)
    elif action == "delete":
        del text[at:at + span]
    elif action == "replace":
        text[at:at + span] = fresh(span)
    elif action == "reindent":
        text[at:at + span] = ["  " + ln for ln in text[at:at + span]]
    elif action == "rename":
        repo.move(name, f"{prefix}{next(counter)}.py")
        return
    elif action == "remove":
        repo.remove(name)
        return
    else:  # move or copy a block into another (possibly new) file
        block = text[at:at + span]
        if action == "move":
            del text[at:at + span]
        target = data.draw(st.sampled_from([*files, f"{prefix}{next(counter)}.py"]))
        if target == name:
            text.extend(block)
        else:
            other = repo.read(target) if (repo.path / target).exists() else []
            other[len(other) // 2:len(other) // 2] = block
            repo.write(target, other)
    repo.write(name, text)


def build(repo, data, *, unique: bool, ops_per_commit: int = 3) -> None:
    """A random history; ``ops_per_commit=1`` keeps each commit to one file operation (see the blame tests)."""
    counter = itertools.count()
    repeats = [] if unique else ["shared = load_settings()", "return cache.get(key)", "logger.info(message)"]
    repo.write("m_base.py", ["import os", "value = os.sep"])
    repo.commit(0)
    day = 0.0
    feature = 0
    steps = data.draw(st.integers(2, 9))
    for _ in range(steps):
        day += data.draw(st.sampled_from([0.5, 3, 10, 40, 200]))
        kind = data.draw(st.sampled_from(["main", "main", "branch"]))
        author = data.draw(st.sampled_from(["alice", "bob", "carol"]))
        if kind == "main":
            for _ in range(data.draw(st.integers(1, ops_per_commit))):
                _edit(repo, data, "m_", counter, repeats)
            repo.commit(day, author)
            continue
        feature += 1
        repo.checkout("-b", f"feature{feature}")
        prefix = f"f{feature}_"
        for _ in range(data.draw(st.integers(1, 3))):
            for _ in range(data.draw(st.integers(1, min(2, ops_per_commit)))):
                _edit(repo, data, prefix, counter, repeats)
            day += 1
            repo.commit(day, author)
        repo.checkout("main")
        if data.draw(st.booleans()):  # main moves on meanwhile
            _edit(repo, data, "m_", counter, repeats)
            day += 0.5
            repo.commit(day, "alice")
        day += 0.5
        repo.merge(f"feature{feature}", day)


def blame_by_commit(repo, *, first_parent: bool) -> Counter:
    out: Counter = Counter()
    for name in repo.git("ls-files").split():
        args = ["blame", "--porcelain", *(["--first-parent"] if first_parent else []), "HEAD", "--", name]
        for line in repo.git(*args).splitlines():
            head = line.split(" ")
            if len(head[0]) == 40 and len(head) >= 3 and head[0].isalnum() and not line.startswith("\t"):
                out[head[0]] += 1
    return out


@SETTINGS
@given(data=st.data())
def test_live_lines_labels_and_blame(tmp_path_factory, scenario_repo_class, replay, data):
    repo = scenario_repo_class(tmp_path_factory.mktemp("prop") / "repo")
    build(repo, data, unique=False)
    result = mine(repo.path, name="prop", salt="property-salt")
    commits = result.tables["commits"]

    # 1. live lines equal the tree after every first-parent commit (merges read from their trees), and the live
    #    counters are the state's lines (all included here), so survival sees the tree
    chain = set(commits.filter("on_first_parent")["sha"])
    for sha, tracker in replay(repo.path / ".git", result.head, commits):
        if sha in chain:
            tree = {name: len(repo.git("show", f"{sha}:{name}").splitlines())
                    for name in repo.git("ls-tree", "-r", "--name-only", sha).split()}
            assert {p.decode(): n for p, n in tracker.line_counts().items()} == tree, sha
            assert sum(tracker.live.values()) == sum(len(v[0]) for v in tracker.files.values() if v), sha

    # 2. labels add up to numstat, file by file
    ops = result.tables["line_ops"]
    numstat = result.tables["file_changes"].select("sha", "path", "lines_added", "lines_deleted")
    joined = ops.join(numstat, on=["sha", "path"], how="left")
    labelled = sum(pl.col(c) for c in L.LABELS)
    assert joined.filter(labelled != pl.col("lines_added") + pl.col("lines_deleted")).height == 0
    assert ops.height == numstat.join(commits.filter(~pl.col("is_merge")).select("sha"), on="sha").height



# Blame parity uses one file operation per commit. git blame looks for a rename source of each new path on its
# own, so when one commit renames (or deletes) a file and also creates a near-copy of it, blame credits both
# copies to the old history, while git log -M (and churnlab) pairs the source with one of them only.


@SETTINGS
@given(data=st.data())
def test_first_parent_mode_equals_blame_first_parent(tmp_path_factory, scenario_repo_class, data):
    repo = scenario_repo_class(tmp_path_factory.mktemp("prop") / "repo")
    build(repo, data, unique=False, ops_per_commit=1)
    fp = mine(repo.path, name="prop", salt="property-salt", first_parent=True)
    assert dict(fp.extras["live_births"].iter_rows()) == dict(blame_by_commit(repo, first_parent=True))


@SETTINGS
@given(data=st.data())
def test_default_mode_equals_blame_with_unique_lines(tmp_path_factory, scenario_repo_class, data):
    repo = scenario_repo_class(tmp_path_factory.mktemp("prop") / "repo")
    build(repo, data, unique=True, ops_per_commit=1)
    result = mine(repo.path, name="prop", salt="property-salt")
    assert dict(result.extras["live_births"].iter_rows()) == dict(blame_by_commit(repo, first_parent=False))
