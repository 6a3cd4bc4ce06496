"""The document itself, and which of its operations the server answers today."""

import pytest
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


def test_trace_is_not_implemented_by_design(server):
    """TRACE (and CONNECT) are never executed: 501, the server implements neither (security checklist H19, RFC 9110
    §15.6.2 allows 501 for a method the server does not support for any resource), and nothing is echoed. A
    deliberate 5xx, so Schemathesis leaves TRACE out."""
    resp = requests.request("TRACE", server.url("/api/v1/users/@me"), timeout=10)
    assert resp.status_code == 501 and "TRACE" not in resp.text, (resp.status_code, resp.text)


def test_allow_lists_each_method_once(server):
    """405's Allow names every method a request to that path is dispatched for, each once (several patterns may
    match one path: /oauth2/applications/@me and /oauth2/applications/:id)."""
    resp = requests.request("PUT", server.url("/api/v1/oauth2/applications/@me"), timeout=10)
    assert resp.status_code == 405
    methods = [m.strip() for m in resp.headers["Allow"].split(",")]
    assert len(methods) == len(set(methods)) and {"GET", "HEAD"} <= set(methods), methods
