"""Runs last (files run in name order): every operation of Fluxer's reference document was driven to a documented
success status at least once by this suite. (Our own additions to the document — health, metrics, the authorize
pages, dev mode's routes … — are validated here whenever a test reaches them and driven by their Swift suites; the
property run covers them too.)"""

import json
from pathlib import Path

import pytest

from conftest import PENDING_OPERATIONS, RECORDER


def test_every_served_operation_reached_success(request, document):
    here = Path(__file__).resolve().parent
    modules = {Path(str(item.fspath)).resolve() for item in request.session.items}
    expected = {p.resolve() for p in here.glob("test_*.py")}
    if expected - modules or request.config.option.keyword or request.config.option.markexpr:
        pytest.skip("partial run: coverage is judged on the whole suite")
    RECORDER.full_run = True
    reference = json.loads((here.parents[1] / "openapi/reference/fluxer-openapi-auth.json").read_text())
    reference_ids = {op["operationId"] for path in reference["paths"].values() for method, op in path.items()
                     if method in ("get", "put", "post", "patch", "delete")}
    missing = []
    assert reference_ids <= set(document.operations), sorted(reference_ids - set(document.operations))
    for op_id, op in sorted(document.operations.items()):
        if op_id in PENDING_OPERATIONS or op_id not in reference_ids:
            continue
        successes = {s for s in RECORDER.statuses.get(op_id, {}) if 200 <= s < 300}
        if not successes & {int(s) for s in op.documented_statuses() if s.isdigit() and s.startswith("2")}:
            missing.append(f"{op_id} ({op.method} {op.template}): saw {dict(RECORDER.statuses.get(op_id, {}))}")
    assert not missing, "operations never driven to success:\n" + "\n".join(missing)
