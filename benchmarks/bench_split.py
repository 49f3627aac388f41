"""Benchmark: splitting a git stream into commit records when a commit spans many chunks.

    python benchmarks/bench_split.py [--mb 75]

A synthetic stream of two commits of ``--mb`` MB each, in 1 MiB chunks (as ``git log -p`` arrives through the
pipe), split by stage 1's ``history._records`` and the line stage's ``lines.records``, against the splitting
both did before (the pending record joined to each new chunk, then split again: a commit copied once per chunk
it spans), in the same run. Prints CPU seconds and the ratios; the records must be equal.
"""

from __future__ import annotations

import argparse
import time

from churnlab.mine import history, lines

SHA = b"0123456789abcdef0123456789abcdef01234567"


def _former_records(chunks):  # stage 1's splitter before: the pending piece joined to every chunk
    pending, record = b"", []
    for chunk in chunks:
        pieces = (pending + chunk).split(b"\x1e")
        pending = pieces.pop()
        for piece in pieces:
            if history._HEADER.match(piece) and record:
                yield b"\x1e".join(record)
                record = []
            if piece or record:
                record.append(piece)
    if pending:
        if history._HEADER.match(pending) and record:
            yield b"\x1e".join(record)
            record = []
        record.append(pending)
    if record and record != [b""]:
        yield b"\x1e".join(record)


def _former_lines_records(chunks):  # the line stage's splitter before
    pending = b""
    for chunk in chunks:
        parts = (pending + chunk).split(b"\n\x1e")
        pending = parts.pop()
        for part in parts:
            if part:
                yield part.removeprefix(b"\x1e")
    if pending.strip():
        yield pending.removeprefix(b"\x1e")


def _cpu(split, chunks) -> tuple[float, list[bytes]]:
    started = time.process_time()
    out = list(split(chunks))
    return time.process_time() - started, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=75, help="size of each of the two commits (default 75)")
    args = ap.parse_args(argv)
    line = b"+" + b"x" * 39 + b"\n"
    commit = b"\x1e" + SHA + b"\x1f\n\n" + line * (args.mb * 2**20 // len(line))
    stream = commit * 2
    chunks = [stream[i:i + 2**20] for i in range(0, len(stream), 2**20)]
    print(f"two commits of {args.mb} MB in {len(chunks)} chunks of 1 MiB\n")
    print("| splitter | now, CPU s | before, CPU s | before / now |\n|---|---|---|---|")
    for name, now, before in (("history._records (stage 1)", history._records, _former_records),
                              ("lines.records (line stage)", lines.records, _former_lines_records)):
        (new_s, new_out), (old_s, old_out) = _cpu(now, chunks), _cpu(before, chunks)
        if new_out != old_out:
            raise SystemExit(f"{name}: the records differ from the former splitter's")
        print(f"| {name} | {new_s:.2f} | {old_s:.2f} | {old_s / new_s:.0f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
