"""The document itself, and which of its operations the server answers today."""

import requests
from openapi_spec_validator import validate

from conftest import PENDING_OPERATIONS
from reference import load_raw

# Probe values for path parameters: well-formed, naming nothing.
PROBE_PARAMS = {"{id}": "1", "{applicationId}": "1", "{code}": "probe", "{credential_id}": "probe"}


def test_document_is_valid_openapi_3_1(document):
    raw = load_raw(document.source, document.base_url)
    assert raw["openapi"].startswith("3.1")
    validate(raw)


def test_pending_operations_are_operations_of_the_document(document):
    assert PENDING_OPERATIONS <= set(document.operations), PENDING_OPERATIONS - set(document.operations)


def test_served_operations_are_the_document_less_the_pending_ones(server, document):
    """An operation is served when its path and method reach a handler: anything but the router's own 404
    `NOT_FOUND` or 405 `METHOD_NOT_ALLOWED` (probed without credentials, so nothing changes)."""
    served, missing = set(), set()
    for op in document.operations.values():
        path = op.template
        for name, value in PROBE_PARAMS.items():
            path = path.replace(name, value)
        resp = requests.request(op.method, server.url("/api/v1" + path), timeout=10,
                                headers={"Content-Type": "application/json"}, data=None if op.method == "GET" else "{}")
        routed = not (resp.status_code in (404, 405) and resp.json().get("code") in ("NOT_FOUND", "METHOD_NOT_ALLOWED"))
        (served if routed else missing).add(op.operation_id)
    assert missing == PENDING_OPERATIONS, {"served although pending": sorted(PENDING_OPERATIONS - missing),
                                          "not served": sorted(missing - PENDING_OPERATIONS)}
    assert len(served) == len(document.operations) - len(PENDING_OPERATIONS)
