"""The same batch on a real Dask cluster (a LocalCluster of 2 worker processes).

Needs the ``dask`` extra (in the ``test`` extra, so CI runs it).
"""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from batch_helpers import BAD, GOOD, make_cohort, night_files, read_table
from cli_helpers import run_cli

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as c:
        yield c


def test_dask_gives_the_same_outputs_as_the_process_pool(cluster, tmp_path, capsys):
    cohort = make_cohort(tmp_path / "cohort")
    code, _, err = run_cli(["score", cohort, "--out", tmp_path / "pool", "--jobs", "2",
                            "--quiet"], capsys)
    assert code == 1
    code, _, err_dask = run_cli(["score", cohort, "--out", tmp_path / "dask", "--scheduler",
                                 cluster.scheduler_address, "--quiet"], capsys)
    assert code == 1
    assert sorted(err_dask.splitlines()) == sorted(err.splitlines())
    pool, dask = read_table(tmp_path / "pool"), read_table(tmp_path / "dask")
    pd.testing.assert_frame_equal(dask, pool)
    assert (pool.status == "ok").sum() == len(GOOD) and (pool.status == "error").sum() == len(BAD)
    assert night_files(tmp_path / "dask") == night_files(tmp_path / "pool")


def test_dask_resumes_the_api_takes_a_client_or_a_scheduler_file(cluster, tmp_path):
    from plms.batch import run_batch

    cohort = make_cohort(tmp_path / "cohort")
    with distributed.Client(cluster) as client:
        first = run_batch(cohort, tmp_path / "out", scheduler=client, stop_after=2)
        assert len(first) == 2
        assert client.status == "running"  # the client given is left open
        # what `dask scheduler --scheduler-file` writes (with more keys)
        (tmp_path / "scheduler.json").write_text(
            json.dumps({"address": cluster.scheduler_address}))
        table = run_batch(cohort, tmp_path / "out", scheduler=str(tmp_path / "scheduler.json"))
    assert len(table) == len(GOOD) + len(BAD)
    ref = run_batch(cohort, tmp_path / "ref", jobs=2)
    pd.testing.assert_frame_equal(table, ref)
