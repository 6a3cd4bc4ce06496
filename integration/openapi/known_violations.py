"""Where our responses contradict the OpenAPI document, knowingly.

Every response the suite receives is validated in full; a violation listed here is reported (in the terminal
summary, with how often it was seen) instead of failing the test that met it, so the rest of that test still
runs. Any violation not listed fails its test. `OPENAPI_STRICT=1` fails on the listed ones too, and an entry
never met during a full run is reported as stale (remove it once the server or the document is fixed).

`origin` says who is off:
- "ours": our server answers something the document (and, as far as fluxer-api.md tells, Fluxer) does not; a bug
  to fix in Sources/FluxerAPI.
- "reference": the document is wrong or silent about what the real server does (fluxer-api.md, read from
  Fluxer's code), or about a decision recorded in DESIGN.md; we keep our behaviour.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    id: str
    operations: frozenset  # operation ids, or {"*"}
    statuses: frozenset  # HTTP statuses, or {"*"}
    kind: str  # as in reference.Violation.kind
    match: str  # regex searched in "<where> <message>"
    origin: str  # "ours" or "reference"
    note: str

    def matches(self, v):
        return (("*" in self.operations or v.operation_id in self.operations)
                and ("*" in self.statuses or v.status in self.statuses)
                and self.kind == v.kind
                and re.search(self.match, f"{v.where} {v.message}") is not None)


def known(id, operations, statuses, kind, match, origin, note):
    ops = frozenset([operations] if isinstance(operations, str) else operations)
    sts = frozenset([statuses] if isinstance(statuses, (int, str)) else statuses)
    return Known(id, ops, sts, kind, match, origin, note)


KNOWN_VIOLATIONS = [
    known("KV01", ["get_oauth_application", "update_oauth_application", "delete_oauth_application",
                   "reset_bot_token2", "reset_client_secret2", "get_public_application", "update_bot_profile"],
          404, "status", "undocumented status", "reference",
          "an unknown application id answers 404 UNKNOWN_APPLICATION, as the real server does (fluxer-api.md §2); "
          "the document lists no 404 for /oauth2/applications/{id}*"),
    known("KV02", "resend_verification_email", 400, "body", r"^/code .*ACCOUNT_ALREADY_VERIFIED", "ours",
          "POST /auth/verify/resend on a verified account answers top-level code ACCOUNT_ALREADY_VERIFIED, which is "
          "not in APIErrorCode (the document has it only as a validation item code: 400 INVALID_FORM_BODY with "
          "errors[].code ACCOUNT_ALREADY_VERIFIED)"),
]


def find_known(violation):
    for k in KNOWN_VIOLATIONS:
        if k.matches(violation):
            return k
    return None
