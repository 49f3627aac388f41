"""Studies: manifests, failure isolation, resume after interruption (also after kill -9), Dask, validation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from churnlab import io, schemas
from churnlab.cli import main
from churnlab.errors import InputError
from churnlab.mine import all_tables
from churnlab.study import manifest_frame, mine_study, read_manifest, study_status, validate_dataset

SALT = "study-test-salt"
ROOT = Path(__file__).resolve().parents[1]


def _fast_import(path: Path, commits: int, seed: int) -> Path:
    """A repository of ``commits`` commits built by one ``git fast-import`` (fixed times: deterministic)."""
    subprocess.run(["git", "init", "--quiet", "--bare", str(path)], check=True)
    stream = []
    for i in range(commits):
        body = "".join(f"line {seed} {i} {k}\n" for k in range(i % 5 + 1))
        stamp = 1_700_000_000 + 3600 * i
        stream += [
            "commit refs/heads/main", f"mark :{i + 1}",
            f"author Dev{(seed + i) % 3} <dev{(seed + i) % 3}@example.com> {stamp} +0000",
            f"committer Dev{(seed + i) % 3} <dev{(seed + i) % 3}@example.com> {stamp} +0000",
            f"data {len(f'c{i}')}", f"c{i}",
        ]
        if i:
            stream.append(f"from :{i}")
        stream += [f"M 100644 inline src/f{i % 4}.py", f"data {len(body.encode())}", body.rstrip("\n")]
    subprocess.run(["git", f"--git-dir={path}", "fast-import", "--quiet"], input="\n".join(stream) + "\n",
                   text=True, check=True)
    subprocess.run(["git", f"--git-dir={path}", "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    return path


def _manifest(folder: Path, rows: list[str]) -> Path:
    path = folder / "manifest.csv"
    path.write_text("repo,name,role,adoption,notes\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHURNLAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def eight_small_repos(tmp_path_factory) -> Path:
    """A study folder: eight repositories of 6..20 commits and a manifest with relative paths."""
    folder = tmp_path_factory.mktemp("study")
    rows = []
    for k in range(8):
        _fast_import(folder / "repos" / f"r{k}.git", 6 + 2 * k, seed=k)
        rows.append(f"repos/r{k}.git,lab/r{k},{'treated' if k % 2 else 'control'},"
                    f"{'2023-11-20' if k % 2 else ''},")
    _manifest(folder, rows)
    return folder


@pytest.fixture(scope="module")
def clean_run(eight_small_repos, tmp_path_factory) -> Path:
    """The reference: the eight repositories mined in one uninterrupted serial run."""
    out = tmp_path_factory.mktemp("clean") / "out"
    status = mine_study(eight_small_repos / "manifest.csv", out, executor="serial", salt=SALT)
    assert status.count("done") == 8
    return out


def assert_same_tables(a, b, *, resumed: bool = False) -> None:
    """Row for row equal tables, file for file, and equal provenance apart from when each was mined.

    ``resumed``: ``a`` was resumed after a kill. A repository whose tables were written just before the kill,
    but not its status record, is mined again, incrementally from its own head (no new commit): its provenance
    may say so (``incremental_from`` equal to its head), and nothing else may differ.
    """
    for table in all_tables():
        files_a = [os.fspath(f).rsplit("/", 1)[-1] for f in io.table_files(a, table)]
        files_b = [os.fspath(f).rsplit("/", 1)[-1] for f in io.table_files(b, table)]
        assert files_a == files_b and files_a, table
        for name in files_a:
            pa_, pb = f"{os.fspath(a)}/{table}/{name}", f"{os.fspath(b)}/{table}/{name}"
            assert_frame_equal(io.read_table(pa_, table), io.read_table(pb, table))
            prov_a, prov_b = io.read_provenance(pa_), io.read_provenance(pb)
            prov_a.pop("mined_at"), prov_b.pop("mined_at")
            if resumed and prov_a["incremental_from"] == prov_a["head"]:
                prov_a["incremental_from"] = None
            assert prov_a == prov_b
        assert_frame_equal(io.scan_table(a, table).collect(), io.scan_table(b, table).collect())


# --- manifests -----------------------------------------------------------------------------------------------

def test_manifest_reads_urls_relative_paths_roles_and_adoption(tmp_path):
    path = _manifest(tmp_path, [
        "# a comment line",
        "https://github.com/pallets/flask.git,,control,,",
        "repos/mine,,treated,2024-10-05,first",
        "git@github.com:psf/requests.git,psf/requests,treated,2024-10-05T04:51:09+02:00,\"a, b\"",
    ])
    rows = read_manifest(path)
    assert [(r.line, r.name, r.role) for r in rows] == [
        (3, "pallets/flask", "control"), (4, "mine", "treated"), (5, "psf/requests", "treated")]
    assert rows[1].repo == str(tmp_path / "repos" / "mine")
    assert rows[1].adoption == datetime(2024, 10, 5, tzinfo=timezone.utc)
    assert rows[2].adoption == datetime(2024, 10, 5, 2, 51, 9, tzinfo=timezone.utc)
    assert rows[2].notes == "a, b"


@pytest.mark.parametrize("row, line, expected", [
    ("https://github.com/a/b,,treatd,,", 3, "field role: 'treatd' is not one of treated, control, other"),
    ("https://github.com/a/b,,treated,05/10/2024,", 3, "field adoption: '05/10/2024' is not an ISO date"),
    (",x/y,treated,,", 3, "field repo: empty"),
    ("https://github.com/a/b,,control,2024-10-05,", 3, "a control repository has no adoption date"),
    ("https://github.com/A/B,,treated,,", 3, "field name: 'A/B' is already used on line 2"),
    ("https://github.com/c/d,x,treated,,,extra", 3, "more fields than the header has"),
    ("ext::sh -c evil,x,treated,,", 3, "field repo: refusing repository URL"),
])
def test_manifest_bad_row_names_line_field_and_fix(tmp_path, row, line, expected):
    path = _manifest(tmp_path, ["https://github.com/a/b,,treated,,", row])
    with pytest.raises(InputError) as err:
        read_manifest(path)
    message = str(err.value)
    assert f"line {line}, " in message and expected in message
    assert "\n" not in message and ";" in message  # one line, with the fix after the semicolon


def test_manifest_bad_header_lists_the_columns(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("url,role\nhttps://github.com/a/b,treated\n")
    with pytest.raises(InputError, match=r"line 1 \(header\): unknown columns \['url'\]; missing columns \['repo'\]"):
        read_manifest(path)


def test_manifest_counts_the_other_bad_rows(tmp_path):
    path = _manifest(tmp_path, ["https://github.com/a/b,,x,,", "https://github.com/a/c,,y,,", "https://github.com/a/d,,z,,"])
    with pytest.raises(InputError, match=r"line 2, field role: 'x'.*\(and 2 more bad rows\)$"):
        read_manifest(path)


# --- failure isolation and resume --------------------------------------------------------------------------

def test_failing_repositories_are_recorded_and_the_rest_go_on(tmp_path, cache):
    _fast_import(tmp_path / "good.git", 5, seed=1)
    (tmp_path / "not_a_repo").mkdir()
    manifest = _manifest(tmp_path, [
        "good.git,lab/good,treated,,",
        "missing_folder,lab/missing,control,,",
        "not_a_repo,lab/plain,control,,",
        f"file://{tmp_path}/unreachable.git,lab/unreachable,other,,",
    ])
    out = tmp_path / "out"
    status = mine_study(manifest, out, executor="serial", salt=SALT)
    states = dict(zip(status.repos["name"], status.repos["state"]))
    assert states == {"lab/good": "done", "lab/missing": "failed", "lab/plain": "failed", "lab/unreachable": "failed"}
    errors = dict(zip(status.repos["name"], status.repos["error"]))
    assert errors["lab/missing"].startswith("no such path")
    assert "is not a git repository" in errors["lab/plain"]
    assert errors["lab/unreachable"].startswith(f"cannot clone or fetch file://{tmp_path}/unreachable.git")
    assert io.read_table(io.table_path(out, "commits", "lab/good")).height == 5

    # A second run retries only the failures, and counts the attempts.
    seen = []
    status = mine_study(manifest, out, executor="serial", salt=SALT, on_record=lambda r: seen.append(r["name"]))
    assert sorted(seen) == ["lab/missing", "lab/plain", "lab/unreachable"]
    assert dict(zip(status.repos["name"], status.repos["attempts"])) == {
        "lab/good": 1, "lab/missing": 2, "lab/plain": 2, "lab/unreachable": 2}
    assert validate_dataset(out) == []


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("stop_after", [1, 3, 7])
def test_interrupted_after_n_repositories_resumes_to_the_clean_run(eight_small_repos, clean_run, tmp_path,
                                                                    stop_after):
    out = tmp_path / "out"
    done = []

    def stop(record):
        done.append(record["name"])
        if len(done) == stop_after:
            raise Interrupted

    with pytest.raises(Interrupted):
        mine_study(eight_small_repos / "manifest.csv", out, executor="serial", salt=SALT, on_record=stop)
    assert study_status(out).count("done") == stop_after and study_status(out).count("pending") == 8 - stop_after

    resumed = []
    status = mine_study(eight_small_repos / "manifest.csv", out, executor="serial", salt=SALT,
                        on_record=lambda r: resumed.append(r["name"]))
    assert status.complete
    assert sorted(resumed) == sorted(set(f"lab/r{k}" for k in range(8)) - set(done))  # nothing mined twice
    assert_same_tables(out, clean_run)


def test_kill_9_mid_run_then_resume_equals_the_clean_run(eight_small_repos, clean_run, tmp_path, cache):
    cmd_for = lambda out: [sys.executable, "-m", "churnlab", "study", "mine",  # noqa: E731
                           str(eight_small_repos / "manifest.csv"), "--out", str(out), "--workers", "2", "--salt", SALT]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # The kill must land mid-run; on a very busy machine the first repositories may all finish between two
    # polls, so try again in a fresh folder (the assertion below still requires a mid-run kill).
    for attempt in range(3):
        out = tmp_path / f"out{attempt}"
        proc = subprocess.Popen(cmd_for(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        status_dir = out / "_study" / "status"
        deadline = time.monotonic() + 60
        while not list(status_dir.glob("*.json")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)  # the study and its worker processes, mid-run
        proc.wait()
        done_at_kill = len(list(status_dir.glob("*.json")))
        if 1 <= done_at_kill < 8:
            break
    assert 1 <= done_at_kill < 8, "the kill should land mid-run"

    subprocess.run(cmd_for(out), env=env, check=True, capture_output=True)
    assert study_status(out).complete
    assert_same_tables(out, clean_run, resumed=True)
    assert validate_dataset(out) == []


def test_repositories_mined_with_other_options_are_mined_again(eight_small_repos, tmp_path):
    out = tmp_path / "out"
    rows = read_manifest(eight_small_repos / "manifest.csv")[:2]
    mine_study(rows, out, executor="serial", salt=SALT)
    again = []
    mine_study(rows, out, executor="serial", salt=SALT, first_parent=True, on_record=lambda r: again.append(r["name"]))
    assert sorted(again) == ["lab/r0", "lab/r1"]
    assert io.read_provenance(io.table_path(out, "commits", "lab/r0"))["options"]["first_parent"] is True
    same, refreshed = [], []
    mine_study(rows, out, executor="serial", salt=SALT, first_parent=True, on_record=lambda r: same.append(r))
    mine_study(rows, out, executor="serial", salt=SALT, first_parent=True, refresh=True,
               on_record=lambda r: refreshed.append(r["name"]))
    assert same == [] and sorted(refreshed) == ["lab/r0", "lab/r1"]


# --- Dask and fsspec outputs ---------------------------------------------------------------------------------

def test_dask_local_cluster_writes_the_same_tables_to_memory_and_file_urls(eight_small_repos, clean_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        for out in ("memory://churnlab-test-study", f"file://{tmp_path}/out"):
            status = mine_study(eight_small_repos / "manifest.csv", out, executor="dask",
                                scheduler=cluster.scheduler_address, salt=SALT)
            assert status.complete
            assert_same_tables(out, clean_run)
            assert validate_dataset(out) == []


def test_dask_executor_needs_a_scheduler_and_nothing_is_written(eight_small_repos, tmp_path):
    with pytest.raises(InputError, match="needs a scheduler address"):
        mine_study(eight_small_repos / "manifest.csv", tmp_path / "out", executor="dask", salt=SALT)
    assert not (tmp_path / "out").exists()


def test_unknown_executor_lists_the_allowed_ones(eight_small_repos, tmp_path):
    with pytest.raises(InputError, match="unknown executor 'spark'; use one of local, serial, dask"):
        mine_study(eight_small_repos / "manifest.csv", tmp_path / "out", executor="spark", salt=SALT)


# --- validation ------------------------------------------------------------------------------------------------

def test_validate_reports_missing_tables_mixed_heads_salts_and_corrupt_files(eight_small_repos, tmp_path):
    out = tmp_path / "out"
    rows = read_manifest(eight_small_repos / "manifest.csv")
    mine_study(rows[:4], out, executor="serial", salt=SALT)
    assert validate_dataset(out) == []

    io.table_path(out, "file_changes", "lab/r0").unlink()
    path = io.table_path(out, "file_changes", "lab/r1")
    prov = io.read_provenance(path)
    io.write_table(io.read_table(path), "file_changes", path, dict(prov, head="0" * 40))
    io.table_path(out, "commits", "lab/r2").write_bytes(b"not parquet")
    mine_study(rows[4:5], out, executor="serial", salt="another-salt-value")

    problems = validate_dataset(out)
    assert any(p.startswith("lab__r0: has ['adoption', 'churn', 'commits', ") and "but not ['file_changes']" in p
               for p in problems)
    assert any(p.startswith("lab__r1: tables disagree on head") for p in problems)
    assert any(p.startswith("commits/lab__r2: ") for p in problems)
    assert any(p.startswith("salt fingerprints differ across the study") and "1 repositories, e.g. lab__r4" in p
               for p in problems)
    assert len(problems) == 5  # the corrupt commits file also leaves lab__r2 without a commits table


# --- command line ---------------------------------------------------------------------------------------------

def test_cli_study_mine_status_and_validate(eight_small_repos, tmp_path, capsys):
    out = tmp_path / "out"
    rows = (eight_small_repos / "manifest.csv").read_text().splitlines()[:3]
    manifest = tmp_path / "m.csv"
    manifest.write_text("\n".join(rows).replace("repos/", f"{eight_small_repos}/repos/") + "\n")
    assert main(["study", "mine", str(manifest), "--out", str(out), "--executor", "serial", "--salt", SALT]) == 0
    assert main(["study", "status", str(out)]) == 0
    assert main(["validate", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 repositories: 2 done, 0 failed, 0 pending" in text and text.rstrip().endswith(f"{out}: ok")


def test_status_records_the_cpu_seconds_of_the_worker_and_of_its_git_processes(clean_run):
    """CPU time says what a repository costs where wall time on a shared machine cannot."""
    done = study_status(clean_run).repos
    assert done["cpu_seconds"].null_count() == 0 and done["git_cpu_seconds"].null_count() == 0
    assert (done["cpu_seconds"] > 0).all() and (done["git_cpu_seconds"] >= 0).all()
    assert done["git_cpu_seconds"].sum() > 0  # every repository ran git: rev-parse, two logs, ls-tree
    assert "CPU s in workers" in study_status(clean_run).summary()


def test_longest_first_uses_measured_cpu_seconds_then_object_store_size(eight_small_repos):
    from churnlab.study import _local_size, _longest_first

    rows = read_manifest(eight_small_repos / "manifest.csv")
    by_size = [r.name for r in sorted(rows, key=_local_size, reverse=True)]
    assert [r.name for r in _longest_first(rows, {})] == by_size
    # Measured costs win over size: here the smallest repository took longest.
    measured = {r.key: dict(state="done", cpu_seconds=8.0 - k, git_cpu_seconds=0.5) for k, r in enumerate(rows)}
    assert [r.name for r in _longest_first(rows, measured)] == [f"lab/r{k}" for k in range(8)]
    # Unmeasured repositories are costed at the median CPU seconds per byte of the measured ones (here 1.0,
    # so every cost equals the size but r0's): r0 goes first, then by size; a failed run's cost is not used.
    mixed = {r.key: dict(state="done", cpu_seconds=float(_local_size(r)), git_cpu_seconds=0.0) for r in rows}
    mixed[rows[0].key]["cpu_seconds"] = 1e12
    del mixed[rows[3].key]
    mixed[rows[5].key] = dict(state="failed", cpu_seconds=1e15, git_cpu_seconds=0.0)
    assert [r.name for r in _longest_first(rows, mixed)] == ["lab/r0"] + [n for n in by_size if n != "lab/r0"]


def test_cli_bad_manifest_is_a_one_line_error(tmp_path, capsys):
    manifest = _manifest(tmp_path, ["https://github.com/a/b,,maybe,,"])
    assert main(["study", "mine", str(manifest), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 2, field role: 'maybe' is not one of" in err
    assert not (tmp_path / "out").exists()


def test_cli_status_of_a_folder_without_a_study(tmp_path, capsys):
    assert main(["study", "status", str(tmp_path)]) == 2
    assert "holds no study; start one with: churnlab study mine" in capsys.readouterr().err


# --- io with fsspec URLs --------------------------------------------------------------------------------------

def test_io_round_trip_through_a_memory_url(eight_small_repos, clean_run):
    frame = io.read_table(io.table_path(clean_run, "commits", "lab/r3"))
    url = io.table_path("memory://churnlab-io-test", "commits", "lab/r3")
    assert url == "memory://churnlab-io-test/commits/lab__r3.parquet"
    io.write_table(frame, "commits", url, {"repo": "lab/r3"})
    assert_frame_equal(io.read_table(url), frame)
    assert io.read_provenance(url)["schema_version"] == schemas.COMMITS.version
    assert_frame_equal(io.scan_table("memory://churnlab-io-test", "commits").collect(), frame)
    assert json.loads(json.dumps(io.read_provenance(url)))["repo"] == "lab/r3"
    assert pl.read_parquet(io.table_path(clean_run, "commits", "lab/r3")).height == 12


def test_cursor_study_manifest_roles_and_the_three_duplicates():
    rows = read_manifest(ROOT / "datasets" / "manifests" / "cursor_study.csv")
    roles = pl.Series([r.role for r in rows]).value_counts(sort=True)
    assert dict(roles.iter_rows()) == {"control": 1350, "treated": 879}
    both = {r.name: r for r in rows if "also in the control time series" in r.notes}
    assert sorted(both) == ["cameronapak/freedom-stack", "v112263/it-autonomos-spain", "yuiseki/TRIDENT"]
    assert both["yuiseki/TRIDENT"].role == "treated"
    assert both["yuiseki/TRIDENT"].adoption == datetime(2024, 12, 6, 20, 29, 7, tzinfo=timezone.utc)
    assert sum("panel" in r.notes.split(";")[0] for r in rows) == 2002
    assert all(r.repo == f"https://github.com/{r.name}" for r in rows)


def test_manifest_frame_joins_roles_and_adoption_by_repository_name(eight_small_repos):
    frame = manifest_frame(eight_small_repos / "manifest.csv")
    assert frame.columns == ["repo", "role", "adoption", "notes", "source", "line"]
    assert frame.filter(pl.col("role") == "treated")["repo"].to_list() == ["lab/r1", "lab/r3", "lab/r5", "lab/r7"]
    assert frame["adoption"].drop_nulls().unique().to_list() == [datetime(2023, 11, 20, tzinfo=timezone.utc)]


def test_a_resumed_run_removes_half_written_files_of_the_killed_one(eight_small_repos, tmp_path):
    out = tmp_path / "out"
    rows = read_manifest(eight_small_repos / "manifest.csv")[:1]
    (out / "commits").mkdir(parents=True)
    leftover = out / "commits" / ".lab__r0.parquet.x1y2.tmp"
    leftover.write_bytes(b"half a file")
    mine_study(rows, out, executor="serial", salt=SALT)
    assert not leftover.exists() and validate_dataset(out) == []
