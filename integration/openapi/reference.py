"""The OpenAPI document our responses are checked against, and the check itself.

`OPENAPI_DOCUMENT` (environment) names the document: a file path (relative to the repository root), an absolute
`http(s)://` URL, or a path starting with `/` that the running server serves (e.g. `/api/v1/openapi.json`). The
default is Fluxer's reference document, `openapi/reference/fluxer-openapi-auth.json`.

Validation is openapi-core's (OpenAPI 3.1, JSON Schema 2020-12, `$ref`s resolved over the whole document): the
status must be one the operation documents (or `default`), the media type one of that response's, and the body
must validate against its schema. On top of it: a response documented without content must have an empty body,
and a 429 must carry `Retry-After`. The document's `servers` are replaced by the running server's three bases
(`/api/v1`, `/v1` and unversioned), so paths match the document's templates under each.
"""

import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DOCUMENT = "openapi/reference/fluxer-openapi-auth.json"
PREFIXES = ("/api/v1", "/v1", "")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def document_location():
    """Where the document comes from: $OPENAPI_DOCUMENT, else the reference file."""
    return os.environ.get("OPENAPI_DOCUMENT") or DEFAULT_DOCUMENT


def load_raw(location=None, base_url=None):
    """The document as a dict: from a file (relative to the repository), an http(s) URL, or a server path."""
    location = location or document_location()
    if location.startswith(("http://", "https://")):
        resp = requests.get(location, timeout=30)
        resp.raise_for_status()
        return resp.json()
    if location.startswith("/") and base_url and not Path(location).is_file():
        resp = requests.get(base_url + location, timeout=30)
        resp.raise_for_status()
        return resp.json()
    path = Path(location)
    if not path.is_absolute():
        path = REPO / path
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str  # the document's path, e.g. /oauth2/applications/{id}
    spec: dict = field(repr=False, compare=False, hash=False)

    @property
    def security_schemes(self):
        """Names of the security schemes the operation accepts (any of them)."""
        return {name for requirement in self.spec.get("security") or [] for name in requirement}

    def documented_statuses(self):
        return set(self.spec.get("responses", {}))


@dataclass(frozen=True)
class Violation:
    """One way a response contradicts the document."""
    operation_id: str
    method: str
    path: str  # the request path as sent (no query)
    status: int
    kind: str  # status | media-type | body | unexpected-body | header | unknown-operation
    where: str  # JSON pointer into the body ("" for the whole body), or a header name
    message: str

    def __str__(self):
        at = f" at {self.where}" if self.where else ""
        return f"{self.method} {self.path} → {self.status} ({self.operation_id}): {self.kind}{at}: {self.message}"


def _pointer(parts):
    return "/" + "/".join(str(p) for p in parts) if parts else "/"


def _short(error):
    """A one-line message for a jsonschema error (the enum of 282 error codes is not repeated)."""
    if error.validator == "enum":
        return f"{error.instance!r} is not one of the enum ({len(error.validator_value)} values)"
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
        return f"no {error.validator} branch matches, e.g. {_short(best)}"
    text = error.message
    return text if len(text) <= 300 else text[:297] + "..."


class Document:
    """A loaded OpenAPI document, with the operation finder and the response check."""

    def __init__(self, raw, base_url, source=""):
        self.raw = raw
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.operations = {}
        self._matchers = []
        for template, item in raw.get("paths", {}).items():
            for method, spec in item.items():
                if method not in METHODS:
                    continue
                op = Operation(spec.get("operationId") or f"{method.upper()} {template}", method.upper(), template, spec)
                self.operations[op.operation_id] = op
                pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
                self._matchers.append((template.count("{"), re.compile(pattern), op))
        # Literal segments win over parameters (/oauth2/applications/@me before /oauth2/applications/{id}).
        self._matchers.sort(key=lambda m: m[0])
        served = copy.deepcopy(raw)
        served["servers"] = [{"url": self.base_url + p} for p in PREFIXES]
        self._openapi = OpenAPI.from_dict(served)

    @classmethod
    def load(cls, base_url, location=None):
        location = location or document_location()
        return cls(load_raw(location, base_url), base_url, source=location)

    @staticmethod
    def strip_prefix(path):
        for prefix in PREFIXES[:-1]:
            if path == prefix or path.startswith(prefix + "/"):
                return path[len(prefix):] or "/"
        return path

    def find(self, method, path):
        """The operation a request path (with or without /api/v1 or /v1) belongs to, or None."""
        bare = self.strip_prefix(path)
        for _, regex, op in self._matchers:
            if op.method == method.upper() and regex.match(bare):
                return op
        return None

    def validate(self, response):
        """(operation or None, [Violation]) for a `requests.Response` whose request the document describes."""
        request = response.request
        path = urlsplit(request.url).path
        op = self.find(request.method, path)
        if op is None:
            return None, []
        status = response.status_code

        def violation(kind, message, where=""):
            return Violation(op.operation_id, op.method, path, status, kind, where, message)

        found = []
        responses = op.spec.get("responses", {})
        documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if documented is None:
            return op, [violation("status", f"undocumented status; documented: {', '.join(sorted(responses))}")]
        documented = self._deref(documented)

        result = self._openapi.unmarshal_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
        for error in result.errors:
            cause = error.__cause__
            schema_errors = getattr(cause, "schema_errors", None)
            if schema_errors:
                for e in schema_errors:
                    found.append(violation("body", _short(e), _pointer(list(e.absolute_path))))
            elif type(error).__name__ in ("MediaTypeNotFound",):
                found.append(violation("media-type", f"{response.headers.get('Content-Type')!r} is not one of "
                                                     f"{sorted(documented.get('content', {}))}"))
            elif type(error).__name__ in ("MissingHeader", "InvalidHeader", "MissingRequiredHeader"):
                found.append(violation("header", str(error)))
            else:
                text = str(error) if not cause else f"{error} ({cause})"
                found.append(violation(type(error).__name__, text))

        if not documented.get("content") and response.content:
            found.append(violation("unexpected-body", f"documented without a body, got {response.content[:120]!r}"))
        if documented.get("content") and not response.content:
            found.append(violation("body", "documented with a body, got none"))
        if status == 429 and "Retry-After" not in response.headers:
            found.append(violation("header", "429 without Retry-After", "Retry-After"))
        for name, header in (documented.get("headers") or {}).items():
            value = response.headers.get(name)
            schema = self._deref(header).get("schema", {})
            if value is not None and schema.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
                found.append(violation("header", f"{value!r} is not an integer", name))
        return op, found

    def _deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            target = self.raw
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node
