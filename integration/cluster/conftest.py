"""Fixtures of the multi-node suite: one throwaway PostgreSQL cluster and three nodes on one database, for the
whole session; before each test, any node a test left dead is started again."""

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_harness import Cluster, binary  # noqa: E402
from postgres_cluster import PostgresCluster  # noqa: E402


KEPT = []  # node directories kept because a test failed


def pytest_terminal_summary(terminalreporter):
    for workdir in KEPT:
        terminalreporter.write_line(f"node logs kept in {workdir}/node-*/server.log")


@pytest.fixture(scope="session")
def postgres():
    pg = PostgresCluster()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def cluster(postgres, request):
    bin_path = binary()
    if bin_path is None:
        pytest.fail("no fluxer-auth binary: set FLUXER_AUTH_BIN or run `swift build --product fluxer-auth`", pytrace=False)
    workdir = tempfile.mkdtemp(prefix="fluxer-cluster-nodes-")
    c = Cluster(bin_path, postgres, "fluxer", workdir)
    try:
        migrated = c.migrate()
        assert migrated["applied"], f"migrate applied nothing on a fresh database: {migrated}"
        c.start()
        yield c
    finally:
        c.stop()
        if request.session.testsfailed:
            KEPT.append(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def nodes(cluster):
    """The three nodes (A, B, C), all running."""
    cluster.ensure_running()
    return cluster.nodes
