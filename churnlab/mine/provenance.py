"""Line provenance: live lines and their births, two-week churn, survival (research spec, sections 1-3).

One streaming ``git log -p -U0`` (:func:`churnlab.mine.lines.log_args`) drives a tracker of the live lines
of the first-parent chain, file by file: each line is an integer *birth record* ``commit * 4 + flags``
(bit 0: meaningful; bit 1: new code, counted in its commit's authoring-side denominator). Records of one
commit share one int object, so a line costs a list slot; Python work happens per changed line only.

Births follow the first-parent chain. A merge's diff against its first parent brings the side branch's lines;
each is credited to the side commit that added the same content at that path (else, the same content at any
path), among the commits that merge brings in, and to the merge only where none is found. Lines a merge
removes are likewise credited to the side commit that removed them (its revision-side churn). Lines added
and revised inside a side branch before it merges are matched the same way (by path and content). With
``first_parent=True`` only the chain is read and merges own their lines, as ``git blame --first-parent``.

Times are author times. Excluded files (binary, vendored, generated, lock, and changes with minified content)
are tracked, so the state stays equal to the tree, but left out of line operations, churn and survival.
Changes labelled as reverts by the reverts stage are counted here as the deletions/updates they are.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timezone

import polars as pl

from . import lines as L
from .normalize import line_key

__all__ = ["WINDOWS", "line_provenance"]

log = logging.getLogger(__name__)

WINDOWS = (7, 14, 21, 30)  # churn windows in days; 14 is the headline
_DAY = 86400
_UNKNOWN = -4  # a line whose birth is unknown (its file was binary or missing before)
_CHURNING = frozenset({L.DELETED, L.UPDATED, L.FIND_REPLACED})


def _quarter(epoch: int) -> int:
    d = datetime.fromtimestamp(epoch, timezone.utc)
    return d.year * 4 + (d.month - 1) // 3


def _cohort_names(qid: int) -> tuple[str, str]:
    return str(qid // 4), f"{qid // 4}Q{qid % 4 + 1}"


class Tracker:
    """Live lines of the first-parent chain plus the per-commit counters the three tables need."""

    def __init__(self, commits: pl.DataFrame, excluded_paths: set[str], *, first_parent: bool,
                 moves_churn: bool, bulk_lines: int, sample_days: int) -> None:
        self.shas: list[str] = commits["sha"].to_list()
        self.index = {s: i for i, s in enumerate(self.shas)}
        self.time: list[int] = [int(t.timestamp()) for t in commits["author_time"]]
        self.ctime: list[int] = [int(t.timestamp()) for t in commits["committer_time"]]
        self.author: list[str] = commits["author_id"].to_list()
        self.chain: list[bool] = commits["on_first_parent"].to_list()
        self.merge: list[bool] = commits["is_merge"].to_list()
        self.parents: list[list[int]] = [[self.index[p] for p in (ps or []) if p in self.index]
                                         for ps in commits["parents"].to_list()]
        self.qid = [_quarter(t) for t in self.time]
        self.first_parent = first_parent
        self.churning = _CHURNING | ({L.MOVED} if moves_churn else set())
        self.bulk_lines = bulk_lines
        self.sample_step = sample_days * _DAY
        self._excluded_paths = excluded_paths
        self._excl_cache: dict[bytes, bool] = {}
        # live state
        self.files: dict[bytes, list[int] | None] = {}
        self.live: Counter[int] = Counter()  # quarter * 2 + meaningful -> live lines (included files)
        self.deaths: Counter[tuple[int, int]] = Counter()  # (quarter, lifetime days) -> lines
        self.absorbed: set[int] = set()
        # side-branch indexes: (path, line) and line -> [record, alive] entries of unmerged side commits
        self.side_add: dict[tuple[bytes, bytes], list[list]] = defaultdict(list)
        self.side_add_any: dict[bytes, list[list]] = defaultdict(list)
        self.side_rem: dict[tuple[bytes, bytes], list[list]] = defaultdict(list)
        self.side_keys: dict[int, list[tuple]] = defaultdict(list)
        # outputs
        self.ops_rows: dict[str, list] = {k: [] for k in ("sha", "path", *L.LABELS, "duplicated_lines")}
        self.commit_rows: dict[int, list] = {}  # commit -> [meaningful, duplicated, authored, is_bulk]
        self.revised: dict[int, list[int]] = defaultdict(lambda: [0] * (2 * len(WINDOWS) + 1))
        self.authored_churned: dict[int, list[int]] = defaultdict(lambda: [0] * len(WINDOWS))
        self.prints: dict[str, list] = {"sha": [], "fingerprint": [], "inverse_fingerprint": [], "lines_changed": []}
        self.samples: list[tuple[int, dict[int, int]]] = []
        self.next_sample: int | None = None
        self.clock = 0
        self.unknown_events = 0

    # ---- classification helpers -------------------------------------------------------------------------

    def excluded(self, path: bytes) -> bool:
        hit = self._excl_cache.get(path)
        if hit is None:
            hit = self._excl_cache[path] = path.decode("utf-8", "backslashreplace") in self._excluded_paths
        return hit

    def _included(self, fd: L.FileDiff) -> bool:
        return not (fd.binary or fd.submodule or self.excluded(fd.path) or L.is_minified(fd))

    # ---- the stream -----------------------------------------------------------------------------------

    def feed(self, record: bytes) -> None:
        c = self.index.get(record[:40].decode("ascii", "replace"))
        if c is None:
            return
        chain, merge = self.chain[c], self.merge[c]
        if merge and not chain and not self.first_parent:
            return  # a merge inside a side branch: its lines come from the commits it joins
        sha, files = L.parse_record(record)
        if chain:
            self._sample_until(self.ctime[c])
        if merge and not self.first_parent:
            self._apply(c, files, None, self._merged_set(c))
            return
        include = [i for i, fd in enumerate(files) if self._included(fd)]
        labels = L.label_commit(files, include)
        self._record_ops(c, files, include, labels)
        fwd, inv, changed = L.fingerprints(files)
        for k, v in zip(self.prints, (sha, fwd, inv, changed)):
            self.prints[k].append(v)
        if chain:
            self.absorbed.add(c)
            self._apply(c, files, labels, None)
        else:
            self._side(c, files, labels)

    def _record_ops(self, c: int, files: list[L.FileDiff], include: list[int], labels: L.CommitLabels) -> None:
        authored = 0
        rows = self.ops_rows
        for fi in include:
            counts = labels.counts(fi)
            rows["sha"].append(self.shas[c])
            rows["path"].append(files[fi].path.decode("utf-8", "backslashreplace"))
            for name, n in zip(L.LABELS, counts):
                rows[name].append(n)
            rows["duplicated_lines"].append(labels.duplicated.get(fi, 0))
            for alab, akeys in zip(labels.added[fi], labels.keys_added[fi]):
                authored += sum(1 for lab, k in zip(alab, akeys) if k is not None and lab not in (L.MOVED, L.NO_OP))
        self.commit_rows[c] = [labels.meaningful, sum(labels.duplicated.values()), authored,
                               labels.meaningful > self.bulk_lines]

    def _flags(self, labels: L.CommitLabels | None, fi: int, hi: int, included: bool, akeys: list) -> list[int]:
        """Flag bits of each added line of one hunk."""
        if labels is None or fi not in labels.added:
            return [(1 | (2 if included else 0)) if k is not None else 0 for k in akeys]
        alab = labels.added[fi][hi]
        return [(1 | (0 if lab in (L.MOVED, L.NO_OP) else 2)) if k is not None else 0
                for k, lab in zip(akeys, alab)]

    # ---- side branches ---------------------------------------------------------------------------------

    def _side(self, c: int, files: list[L.FileDiff], labels: L.CommitLabels) -> None:
        """Index a side-branch commit's added and removed lines for the merge that will bring them."""
        keys = self.side_keys[c]
        t = self.time[c]
        for fi, fd in enumerate(files):
            if fd.binary or fd.submodule:
                continue
            path_new, path_old = fd.new_path, fd.old_path
            included = fi in labels.added
            for hi, h in enumerate(fd.hunks):
                rlab = labels.removed[fi][hi] if included else None
                for j, x in enumerate(h[4]):
                    lab = rlab[j] if rlab is not None else L.NO_OP
                    born = self._pop_side_add(path_old, x) if path_old is not None else None
                    if born is not None:  # revised inside the branch before it merged
                        if included and lab in self.churning and born & 1:
                            self._revise(c, born, t)
                        continue
                    key = (path_old, x)
                    self.side_rem[key].append([c, lab])
                    keys.append(("r", key))
                if path_new is None:
                    continue
                akeys = labels.keys_added[fi][hi] if included else [line_key(x) for x in h[5]]
                flags = self._flags(labels if included else None, fi, hi, False, akeys)
                for x, fl in zip(h[5], flags):
                    entry = [c * 4 + fl, True]
                    key = (path_new, x)
                    self.side_add[key].append(entry)
                    self.side_add_any[x].append(entry)
                    keys.append(("a", key))

    def _pop_side_add(self, path: bytes, line: bytes, allowed: set[int] | None = None) -> int | None:
        for index, key in ((self.side_add, (path, line)), (self.side_add_any, line)):
            entries = index.get(key)
            if not entries:
                continue
            for pos in range(len(entries) - 1, -1, -1):
                rec, alive = entries[pos]
                if alive and (allowed is None or rec >> 2 in allowed):
                    entries[pos][1] = False
                    del entries[pos]
                    return rec
        return None

    def _merged_set(self, m: int) -> set[int]:
        """Commits a chain merge brings in: ancestors of its other parents not yet on the chain."""
        todo = [p for p in self.parents[m][1:] if p not in self.absorbed]
        seen: set[int] = set()
        while todo:
            x = todo.pop()
            if x in seen or x in self.absorbed:
                continue
            seen.add(x)
            todo.extend(self.parents[x])
        self.absorbed.update(seen)
        self.absorbed.add(m)
        return seen

    def _prune(self, merged: set[int]) -> None:
        for s in merged:
            for kind, key in self.side_keys.pop(s, ()):
                index = self.side_add if kind == "a" else self.side_rem
                entries = index.get(key)
                if entries is None:
                    continue
                keep = [e for e in entries if (e[0] >> 2 if kind == "a" else e[0]) != s]
                if kind == "a":
                    for e in entries:
                        if e[0] >> 2 == s:
                            e[1] = False
                if keep:
                    index[key] = keep
                else:
                    del index[key]
                if kind == "a":
                    anyl = self.side_add_any.get(key[1])
                    if anyl is not None:
                        anyl[:] = [e for e in anyl if e[1]]
                        if not anyl:
                            del self.side_add_any[key[1]]

    # ---- the chain -------------------------------------------------------------------------------------

    def _apply(self, c: int, files: list[L.FileDiff], labels: L.CommitLabels | None, merged: set[int] | None) -> None:
        """Apply one chain commit's diff to the live lines: births, deaths, revisions."""
        t = self.time[c]
        for fi, fd in enumerate(files):
            if fd.submodule:
                continue
            old, new = fd.old_path, fd.new_path
            if fd.binary:
                if old is not None and not fd.copy:
                    self._drop(old, t)
                if new is not None:
                    self._drop(new, t)
                    self.files[new] = None
                continue
            cur: list[int] | None
            if old is None:
                cur = []
            elif fd.copy:
                cur = list(self.files.get(old) or [])
            else:
                cur = self.files.pop(old, None)
            out_path = new if new is not None else old
            if old is not None and self.excluded(old) != self.excluded(out_path) and cur:
                self._count(cur, -1 if not self.excluded(old) else 1)
            if fd.copy and cur and not self.excluded(out_path):
                self._count(cur, 1)
            result = self._hunks(c, t, fd, fi, cur, labels, merged, out_path)
            if new is None:
                self._drop_list(result, out_path, t)
            else:
                self.files[new] = result
        if merged is not None:
            self._prune(merged)

    def _hunks(self, c: int, t: int, fd: L.FileDiff, fi: int, cur: list[int] | None,
               labels: L.CommitLabels | None, merged: set[int] | None, path: bytes) -> list[int]:
        if cur is None:  # content unknown before (binary or missing): positions only
            cur = []
            self.unknown_events += 1
        included_path = not self.excluded(path)
        metrics = labels is not None and fi in labels.added
        out: list[int] = []
        pos = 0
        for hi, (o_start, o_count, _n_start, n_count, removed, added) in enumerate(fd.hunks):
            start = o_start - 1 if o_count else o_start
            if start > len(cur) or start + o_count > len(cur):
                cur = cur + [_UNKNOWN] * (start + o_count - len(cur))
                self.unknown_events += 1
            out.extend(cur[pos:start])
            dying = cur[start:start + o_count]
            pos = start + o_count
            rlab = labels.removed[fi][hi] if metrics else None
            for j, rec in enumerate(dying):
                if rec < 0:
                    continue
                if included_path:
                    self._die(rec, t)
                if not rec & 1:
                    continue
                if merged is not None:
                    side = self._pop_side_rem(fd.old_path, removed[j], merged)
                    if side is None:
                        self._revise(c, rec, t, count_reviser=False)
                    elif side[1] in self.churning:
                        self._revise(side[0], rec, self.time[side[0]])
                elif metrics and rlab[j] in self.churning:
                    self._revise(c, rec, t)
            if not n_count:
                continue
            if merged is not None:
                born = self._merge_births(c, fd, hi, added, merged, included_path)
            else:
                akeys = labels.keys_added[fi][hi] if metrics else [line_key(x) for x in added]
                flags = self._flags(labels if metrics else None, fi, hi, False, akeys)
                base = c * 4
                recs = (base, base + 1, base + 2, base + 3)
                born = [recs[f] for f in flags]
            if included_path:
                for rec in born:
                    self.live[self.qid[rec >> 2] * 2 + (rec & 1)] += 1
            out.extend(born)
        out.extend(cur[pos:])
        return out

    def _merge_births(self, m: int, fd: L.FileDiff, hi: int, added: list[bytes], merged: set[int],
                      included: bool) -> list[int]:
        born = []
        path = fd.new_path
        for x in added:
            rec = self._pop_side_add(path, x, merged)
            if rec is None:
                k = line_key(x)
                rec = m * 4 + ((1 | (2 if included else 0)) if k is not None else 0)
            born.append(rec)
        return born

    def _pop_side_rem(self, path: bytes | None, line: bytes, allowed: set[int]) -> list | None:
        entries = self.side_rem.get((path, line))
        if not entries:
            return None
        for pos in range(len(entries) - 1, -1, -1):
            if entries[pos][0] in allowed:
                return entries.pop(pos)
        return None

    def _revise(self, reviser: int, rec: int, t: int, *, count_reviser: bool = True) -> None:
        """A meaningful line born as ``rec`` is deleted/updated by ``reviser`` at time ``t``."""
        b = rec >> 2
        age = t - self.time[b]
        counts = self.revised[reviser] if count_reviser else None
        if counts is not None:
            counts[-1] += 1
        same = self.author[b] == self.author[reviser]
        for w, days in enumerate(WINDOWS):
            if age <= days * _DAY:
                if counts is not None:
                    counts[w if same else len(WINDOWS) + w] += 1
                if rec & 2:
                    self.authored_churned[b][w] += 1

    def _die(self, rec: int, t: int) -> None:
        b = rec >> 2
        self.live[self.qid[b] * 2 + (rec & 1)] -= 1
        self.deaths[(self.qid[b], max(t - self.time[b], 0) // _DAY)] += 1

    def _count(self, recs: list[int], sign: int) -> None:
        for rec in recs:
            if rec >= 0:
                self.live[self.qid[rec >> 2] * 2 + (rec & 1)] += sign

    def _drop(self, path: bytes, t: int) -> None:
        cur = self.files.pop(path, None)
        if cur:
            self._drop_list(cur, path, t)

    def _drop_list(self, cur: list[int], path: bytes, t: int) -> None:
        if self.excluded(path):
            return
        for rec in cur:
            if rec >= 0:
                self._die(rec, t)

    # ---- survival -------------------------------------------------------------------------------------

    def _sample_until(self, t: int) -> None:
        self.clock = max(self.clock, t)
        if self.next_sample is None:
            self.next_sample = (t // _DAY + 1) * _DAY
            return
        while self.next_sample <= self.clock:
            self.samples.append((self.next_sample, {k: v for k, v in self.live.items() if v}))
            self.next_sample += self.sample_step

    def finish(self) -> None:
        """Take the last sample at the head (latest chain time)."""
        if self.next_sample is not None:
            self._sample_until(self.clock)
            if not self.samples or self.samples[-1][0] != self.clock:
                self.samples.append((self.clock, {k: v for k, v in self.live.items() if v}))

    def censored(self, end: int) -> Counter[tuple[int, int]]:
        """Live lines at the end, as (quarter, days lived) -> lines: censored observations."""
        out: Counter[tuple[int, int]] = Counter()
        per_commit: Counter[int] = Counter()
        for path, cur in self.files.items():
            if cur and not self.excluded(path):
                per_commit.update(rec >> 2 for rec in cur if rec >= 0)
        for b, n in per_commit.items():
            out[(self.qid[b], max(end - self.time[b], 0) // _DAY)] += n
        return out

    def live_births(self) -> Counter[int]:
        """Live lines at the head of included files, by birth commit (for validation against git blame)."""
        per_commit: Counter[int] = Counter()
        for path, cur in self.files.items():
            if cur and not self.excluded(path):
                per_commit.update(rec >> 2 for rec in cur if rec >= 0)
        return per_commit


def km_median(events: dict[int, int], censored: dict[int, int]) -> float | None:
    """Kaplan-Meier median of durations (days): ``events``/``censored`` map duration -> count."""
    at_risk = sum(events.values()) + sum(censored.values())
    surv = 1.0
    for d in sorted(set(events) | set(censored)):
        e = events.get(d, 0)
        if e and at_risk:
            surv *= 1 - e / at_risk
            if surv <= 0.5:
                return float(d)
        at_risk -= e + censored.get(d, 0)
    return None


def line_provenance(ctx) -> dict[str, pl.DataFrame]:
    """Pipeline stage: the ``line_ops``, ``churn`` and ``survival`` tables, and patch fingerprints in extras."""
    opts = ctx.options
    fc = ctx.file_changes
    excluded = set(fc.filter(pl.col("is_vendored") | pl.col("is_generated") | pl.col("is_lock"))["path"].to_list())
    tracker = Tracker(ctx.commits, excluded, first_parent=opts.first_parent, moves_churn=opts.moves_churn,
                      bulk_lines=opts.bulk_lines, sample_days=opts.survival_sample_days)
    repo = ctx.repo
    if repo.head is not None:
        args = L.log_args(repo.head, first_parent=opts.first_parent, find_copies=opts.find_copies)
        for record in L.records(repo.stream(args)):
            tracker.feed(record)
    tracker.finish()
    if tracker.unknown_events:
        ctx.warnings.append(f"{tracker.unknown_events} text changes to files whose earlier content was binary or "
                            "missing: their lines' births are unknown and left out of survival")
    ctx.extras["patch_fingerprints"] = pl.DataFrame(tracker.prints, schema={
        "sha": pl.String, "fingerprint": pl.String, "inverse_fingerprint": pl.String, "lines_changed": pl.Int64})
    births = tracker.live_births()
    ctx.extras["live_births"] = pl.DataFrame(
        {"sha": [tracker.shas[b] for b in sorted(births)], "live_lines": [births[b] for b in sorted(births)]},
        schema={"sha": pl.String, "live_lines": pl.Int64})
    return {"line_ops": _ops_frame(tracker, repo.name), "churn": _churn_frame(tracker, repo.name),
            "survival": _survival_frame(tracker, repo.name)}


def _ops_frame(tr: Tracker, repo: str) -> pl.DataFrame:
    counts = {name: pl.Int64 for name in (*L.LABELS, "duplicated_lines")}
    df = pl.DataFrame(tr.ops_rows, schema={"sha": pl.String, "path": pl.String, **counts})
    # a type change lists one path twice (deleted, then added): one row per path
    df = df.group_by("sha", "path", maintain_order=True).agg(pl.col(list(counts)).sum())
    return df.with_columns(repo=pl.lit(repo)).sort("sha", "path")


def _churn_frame(tr: Tracker, repo: str) -> pl.DataFrame:
    end = max(tr.time) if tr.time else 0
    cols: dict[str, list] = defaultdict(list)
    for c, (meaningful, duplicated, authored, bulk) in tr.commit_rows.items():
        rev = tr.revised.get(c, [0] * (2 * len(WINDOWS) + 1))
        churned = tr.authored_churned.get(c, [0] * len(WINDOWS))
        cols["sha"].append(tr.shas[c])
        cols["is_bulk"].append(bulk)
        cols["meaningful_lines"].append(meaningful)
        cols["has_duplicate_block"].append(duplicated > 0)
        cols["duplicated_lines"].append(duplicated)
        cols["revised_lines"].append(rev[-1])
        for w, days in enumerate(WINDOWS):
            cols[f"churn_self_w{days}"].append(rev[w])
            cols[f"churn_others_w{days}"].append(rev[len(WINDOWS) + w])
        cols["authored_lines"].append(authored)
        for w, days in enumerate(WINDOWS):
            cols[f"authored_churned_w{days}"].append(churned[w])
            cols[f"censored_w{days}"].append(end - tr.time[c] < days * _DAY)
    names = churn_columns()
    schema = {n: (pl.String if n == "sha" else pl.Boolean if n.startswith(("is_", "has_", "censored")) else pl.Int64)
              for n in names}
    df = pl.DataFrame({n: cols[n] for n in names}, schema=schema)
    return df.with_columns(repo=pl.lit(repo)).sort("sha")


def churn_columns() -> list[str]:
    """Column names of the churn table after ``repo`` (shared with the schema declaration)."""
    names = ["sha", "is_bulk", "meaningful_lines", "has_duplicate_block", "duplicated_lines", "revised_lines"]
    for days in WINDOWS:
        names += [f"churn_self_w{days}", f"churn_others_w{days}"]
    names.append("authored_lines")
    names += [f"authored_churned_w{days}" for days in WINDOWS]
    names += [f"censored_w{days}" for days in WINDOWS]
    return names


def _survival_frame(tr: Tracker, repo: str) -> pl.DataFrame:
    end = tr.clock
    events: dict[str, dict[int, int]] = defaultdict(dict)
    cens: dict[str, dict[int, int]] = defaultdict(dict)
    for target, source in ((events, tr.deaths), (cens, tr.censored(end))):
        for (q, days), n in source.items():
            for name in _cohort_names(q):
                bucket = target[name]
                bucket[days] = bucket.get(days, 0) + n
    medians = {name: km_median(events.get(name, {}), cens.get(name, {})) for name in set(events) | set(cens)}
    cols: dict[str, list] = defaultdict(list)
    for t, live in tr.samples:
        agg: dict[tuple[str, str], list[int]] = {}
        for code, n in live.items():
            q, meaningful = divmod(code, 2)
            for gran, name in zip(("year", "quarter"), _cohort_names(q)):
                row = agg.setdefault((gran, name), [0, 0])
                row[0] += n
                row[1] += n if meaningful else 0
        for (gran, name), (n, m) in sorted(agg.items()):
            if n <= 0:
                continue
            cols["sample_time"].append(t * 1_000_000)
            cols["granularity"].append(gran)
            cols["cohort"].append(name)
            cols["live_lines"].append(n)
            cols["live_meaningful_lines"].append(m)
            cols["median_lifetime_days"].append(medians.get(name))
    df = pl.DataFrame({k: cols[k] for k in ("sample_time", "granularity", "cohort", "live_lines",
                                             "live_meaningful_lines", "median_lifetime_days")},
                      schema={"sample_time": pl.Int64, "granularity": pl.String, "cohort": pl.String,
                              "live_lines": pl.Int64, "live_meaningful_lines": pl.Int64,
                              "median_lifetime_days": pl.Float64})
    df = df.with_columns(sample_time=pl.col("sample_time").cast(pl.Datetime("us", "UTC")), repo=pl.lit(repo))
    return df.sort("sample_time", "granularity", "cohort")
