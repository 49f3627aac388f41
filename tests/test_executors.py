"""Executors: every task comes back once, in any order; a dead worker fails its own task only."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from churnlab import executors
from churnlab.errors import InputError


def square_or_die(x: int) -> int:
    if x == 3:
        os._exit(9)  # the worker process dies, as under the kernel's OOM killer
    return x * x


def test_local_pool_recycles_workers_and_returns_every_task_once():
    results = dict(executors.run(abs, list(range(-7, 0)), workers=2, tasks_per_child=2))
    assert results == {-k: k for k in range(1, 8)}


def test_a_dead_worker_fails_only_its_own_task():
    results = dict(executors.run(square_or_die, [1, 2, 3, 4, 5], workers=2, tasks_per_child=10))
    assert {k: v for k, v in results.items() if k != 3} == {1: 1, 2: 4, 4: 16, 5: 25}
    assert isinstance(results[3], executors.BrokenProcessPool)


@pytest.mark.parametrize("kw, message", [
    (dict(executor="spark"), "unknown executor 'spark'; use one of local, serial, dask"),
    (dict(workers=0), "workers must be a positive integer, got 0"),
    (dict(executor="local", scheduler="tcp://127.0.0.1:1"), "--scheduler applies to the dask executor only"),
])
def test_bad_executor_options_are_named(kw, message):
    with pytest.raises(InputError, match=message):
        list(executors.run(abs, [1], **kw))


def test_an_error_the_function_did_not_catch_fails_only_its_task():
    results = dict(executors.run(abs, [-1, "x", -2], workers=1))
    assert results[-1] == 1 and results[-2] == 2 and isinstance(results["x"], TypeError)


def test_no_worker_outlives_a_finished_run():
    """Workers are waited for at the end: none is left running, and their CPU time is this process's to see."""
    assert dict(executors.run(abs, [-1, -2, -3], workers=2, tasks_per_child=10)) == {-1: 1, -2: 2, -3: 3}
    assert multiprocessing.active_children() == []
