"""Where a study's repositories are mined: in this process, in a local process pool, or on a Dask cluster.

Every executor takes a top-level function and a list of tasks and yields ``(task, result)`` as tasks finish,
in completion order. The function is expected to catch its own errors and return them as data; if the process
running it dies (killed, out of memory), the result is the exception instead, so the caller can record it.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal, TypeVar

from .errors import InputError

__all__ = ["EXECUTORS", "Executor", "check", "run"]

log = logging.getLogger(__name__)

Executor = Literal["local", "serial", "dask"]
EXECUTORS: tuple[str, ...] = ("local", "serial", "dask")
T = TypeVar("T")


def run(fn: Callable[[T], Any], tasks: Sequence[T], *, executor: Executor = "local", workers: int = 1,
        scheduler: str | None = None, tasks_per_child: int = 10) -> Iterator[tuple[T, Any]]:
    """Run ``fn`` on every task and yield ``(task, result or exception)`` as each finishes.

    Parameters
    ----------
    executor
        ``"local"``: ``workers`` spawned processes, each replaced after ``tasks_per_child`` tasks so a large
        repository's memory is given back. ``"serial"``: one task after another in this
        process (debugging). ``"dask"``: the Dask cluster at ``scheduler``.
    scheduler
        Dask scheduler address (``tcp://host:8786``); only with ``executor="dask"``.
    """
    check(executor, workers, scheduler)
    if not tasks:
        return
    if executor == "serial":
        for task in tasks:
            yield task, fn(task)
    elif executor == "local":
        yield from _local(fn, tasks, workers, tasks_per_child)
    else:
        yield from _dask(fn, tasks, scheduler)


def check(executor: str, workers: int, scheduler: str | None) -> None:
    """Raise :class:`InputError` for options :func:`run` cannot use, before any work starts."""
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; use one of {', '.join(EXECUTORS)}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InputError(f"workers must be a positive integer, got {workers!r}")
    if executor == "dask" and not scheduler:
        raise InputError("the dask executor needs a scheduler address; pass --scheduler tcp://HOST:PORT")
    if executor != "dask" and scheduler:
        raise InputError("--scheduler applies to the dask executor only; add --executor dask")


def _local(fn, tasks, workers: int, tasks_per_child: int) -> Iterator[tuple[Any, Any]]:
    """One single-process pool per worker slot, replaced after ``tasks_per_child`` tasks or when it dies.

    Not ``ProcessPoolExecutor(max_tasks_per_child=...)``: on Python 3.11 it deadlocks once a worker retires.
    One task per pool at a time also tells exactly which repository a dead worker was mining.
    """
    spawn = multiprocessing.get_context("spawn")  # not fork: a forked child inherits polars' threads and memory
    queue = list(reversed(tasks))
    pools: list[ProcessPoolExecutor | None] = [None] * min(workers, len(tasks))
    used = [0] * len(pools)
    running: dict[Future, tuple[int, Any]] = {}

    def submit(slot: int) -> None:
        if pools[slot] is not None and used[slot] >= tasks_per_child:
            pools[slot].shutdown(wait=True)  # idle: give its memory back
            pools[slot] = None
        if pools[slot] is None:
            pools[slot], used[slot] = ProcessPoolExecutor(max_workers=1, mp_context=spawn), 0
        task = queue.pop()
        used[slot] += 1
        running[pools[slot].submit(fn, task)] = (slot, task)

    try:
        for slot in range(len(pools)):
            submit(slot)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                slot, task = running.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    log.warning("the worker process died while mining %s", task)
                    pools[slot].shutdown(wait=False)
                    pools[slot], result = None, exc
                except Exception as exc:  # noqa: BLE001 - e.g. a result that does not pickle: that task only
                    result = exc
                if queue:
                    submit(slot)  # before yielding: keep the worker busy while the caller records the result
                yield task, result
    finally:
        # At the end every worker is idle: wait for it to exit, so none outlives the run (and its CPU time is
        # accounted to this process). Stopped early (interrupted, or the caller failed): drop what is queued;
        # running tasks end on their own.
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=not running, cancel_futures=True)


def _dask(fn, tasks, scheduler: str) -> Iterator[tuple[Any, Any]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError("the dask executor needs dask.distributed; pip install 'churnlab[dask]'") from None
    try:
        client = Client(scheduler, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}; check the address") from None
    try:
        futures = {}
        for task in tasks:
            futures[client.submit(fn, task, pure=False)] = task
        for fut in dask_completed(list(futures), loop=client.loop):
            try:
                yield futures[fut], fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker or a task the function did not catch
                yield futures[fut], exc
    finally:
        for fut in futures:
            fut.cancel()
        client.close()
