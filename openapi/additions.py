"""What FluxerAuth serves beyond Fluxer's own operations, written by hand from the route code.

build.py copies every operation of reference/fluxer-openapi-auth.json (Fluxer's document) unchanged, with the
component schemas it uses, and adds what is here: our other routes, the schemas and responses they use, the
error codes we answer that Fluxer's catalogue (APIErrorCode, ValidationErrorCodeSchema) lacks, and notes on how
this server answers some of Fluxer's operations (x-fluxer-auth-notes; the operations themselves are never
changed). A name defined here must not exist in the reference: build.py refuses the collision.

Extensions on our operations:
  x-fluxer-auth-error-codes      every `code` the operation may answer (APIErrorCode or FluxerAuthErrorCode)
  x-fluxer-auth-dev-only         registered only in dev mode (`--dev`)
  x-fluxer-auth-registered-when  registered only under this condition
"""

SCHEMA = "#/components/schemas/"


def ref(name):
    return {"$ref": SCHEMA + name}


def json_body(schema):
    return {"application/json": {"schema": schema}}


def response(name):
    return {"$ref": "#/components/responses/" + name}


def html(description, headers=None):
    out = {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    if headers:
        out["headers"] = headers
    return out


def redirect(description, extra_headers=None):
    headers = {"Location": {"description": "Where the browser goes next.", "schema": {"type": "string"}}}
    headers.update(extra_headers or {})
    return {"description": description, "headers": headers}


def path_parameter(name, description, schema=None):
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema or {"type": "string"}}


def query(name, description, schema=None, required=False):
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema or {"type": "string"}}


def form_body(schema_name):
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": ref(schema_name)}}}


SET_COOKIE = {"description": "The cookie this step sets (HttpOnly, SameSite=Lax; `__Host-` prefixed and Secure unless dev mode "
                             "serves plain http).", "schema": {"type": "string"}}
SUDO_JWT_HEADER = {"description": "After a proof by a second factor: a sudo token (HS256, 5 minutes) that later sudo calls may send "
                                  "instead of a proof.", "schema": {"type": "string"}}
SESSION = [{"sessionToken": []}]
NOT_RATE_LIMITED = "Never rate limited."

INFO = {
    "title": "FluxerAuth API",
    "description": (
        "FluxerAuth: a self-hosted authorization server speaking the Fluxer authentication API.\n\n"
        "Every path answers under `/api/v1`, `/v1` and unprefixed. The operations Fluxer's own document describes are "
        "copied from it unchanged; the others are FluxerAuth's own (its HTML authorize pages, discovery documents, "
        "operations routes, its development helpers). `x-fluxer-auth-notes` says where this server answers one of "
        "Fluxer's operations in ways its document does not show.\n\n"
        "Credentials in `Authorization`: a session token bare (`flx_…`) or as `Bearer flx_…`; a bot token as "
        "`Bot <token>`; an OAuth2 access token as `Bearer <token>`, accepted only by operations that name a scope "
        "(elsewhere 403 `ACCESS_DENIED`; without the scope 403 `MISSING_OAUTH_SCOPE`).\n\n"
        "Errors are `{code, message}` (validation: 400 `INVALID_FORM_BODY` with `errors: [{path, message, code}]`); the "
        "OAuth2 token, revocation and introspection endpoints answer RFC 6749 §5.2 `{error, error_description}`."
    ),
}

TAGS = [
    {"name": "Auth", "description": "Registration, login, sessions, email verification, password reset, MFA login, passkeys and single sign-on."},
    {"name": "Users", "description": "The signed-in user: MFA, phone, security keys, sudo helpers, linked accounts."},
    {"name": "Guilds", "description": "The user's guilds."},
    {"name": "OAuth2", "description": "Applications, the OAuth2 provider's JSON endpoints and the user's authorizations."},
    {"name": "Authorize pages", "description": "The HTML authorization endpoint a browser walks: login, second factor, consent."},
    {"name": "Discovery", "description": "Metadata documents other software reads: RFC 8414, and our AT Protocol OAuth client's."},
    {"name": "Operations", "description": "Liveness, readiness and metrics."},
    {"name": "Documentation", "description": "This document and its HTML rendering."},
    {"name": "Development", "description": "Dev mode only (`--dev`): the outbox, and the built-in OpenID Connect and AT Protocol "
                                           "providers that make single sign-on work offline."},
]

SECURITY_SCHEMES = {
    "clientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "OAuth2 client authentication `client_secret_basic` (RFC 6749 §2.3.1): `Authorization: Basic "
                       "base64(client_id:client_secret)`, each form-urlencoded first. The alternative is `client_id` and "
                       "`client_secret` in the form body (`client_secret_post`), never both; a public client sends only "
                       "`client_id`.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-fluxer_session",
        "description": "The authorize pages' session: a session token in an HttpOnly, SameSite=Lax cookie set by the pages' "
                       "own sign-in (`fluxer_session`, without `__Host-` and Secure, in dev mode over plain http).",
    },
}

# Top-level `code` values we answer that Fluxer's APIErrorCode does not list.
ERROR_CODES = {
    "ACCOUNT_ALREADY_VERIFIED": "POST /auth/verify/resend for an account whose email is already verified.",
    "EXPECTATION_FAILED": "An `Expect` header other than `100-continue` (417).",
    "HTTP_VERSION_NOT_SUPPORTED": "An HTTP version other than 1.0 and 1.1 (505).",
    "MFA_NOT_DISABLED": "TOTP setup or enable when two-factor authentication is already on.",
    "MFA_NOT_ENABLED": "An MFA change that needs TOTP on, when it is off.",
    "PAYLOAD_TOO_LARGE": "A body over `server.max_body_bytes` (413), decided from `Content-Length` before any byte is read.",
    "REQUEST_HEADER_FIELDS_TOO_LARGE": "A header section over 16 KiB or 100 fields (431).",
    "REQUEST_TIMEOUT": "The head not complete within 10 s, or the body stalled for 10 s (408).",
    "SSO_AUTHENTICATION_FAILED": "The provider's answer could not be used (a bad ID token, a refused exchange); details go to the log only.",
    "SEED_REJECTED": "Dev mode: POST /_dev/reset could not apply the seed file (it no longer parses, or clashes); nothing changed.",
    "SSO_IDENTITY_ALREADY_LINKED": "The provider account is already linked to another account.",
    "SSO_LINKING_DISABLED": "`sso.link_existing_accounts` is off: existing accounts cannot link single sign-on.",
    "SSO_LINK_REQUIRED": "An account already uses the provider's email: sign in to it and link single sign-on from there.",
    "SSO_NOT_ENABLED": "No single sign-on provider is enabled.",
    "SSO_PROVIDER_ERROR": "The sign-in provider is unavailable or answered wrongly (502).",
    "UNSUPPORTED_MEDIA_TYPE": "A JSON route was sent a body whose `Content-Type` is not JSON (415).",
    "URI_TOO_LONG": "A request line over 8 KiB (414).",
}

# `errors[].code` values we answer that ValidationErrorCodeSchema's known values do not list.
VALIDATION_ERROR_CODES = {
    "BASE_TYPE_INVALID": "The field has the wrong JSON type, or an invalid value.",
    "BASE_TYPE_REQUIRED": "A required field (or the body) is missing or null.",
    "BLUESKY_OAUTH_AUTHORIZATION_FAILED": "The Bluesky handle could not be resolved for authorisation.",
    "CONSENT_REQUIRED": "Registration without `consent: true`.",
    "INVALID_FORM_BODY": "The field is not allowed in this combination (e.g. a `handle` for a provider that is not AT Protocol).",
    "INVALID_JSON": "The body is not strict RFC 8259 JSON (with unique member names).",
    "INVALID_PHONE_TOKEN": "The phone verification token is unknown, used, expired or for another number.",
    "INVALID_SSO_CODE": "The single sign-on completion code is unknown, used or expired (60 s, single use).",
    "INVALID_SSO_STATE": "The single sign-on state is unknown, used, expired, or started elsewhere.",
    "INVALID_WEBAUTHN_CHALLENGE": "The WebAuthn challenge is unknown, used, expired or for another purpose.",
    "INVALID_WEBAUTHN_CREDENTIAL": "The WebAuthn response could not be verified.",
    "MAX_APPLICATIONS_REACHED": "The owner has the most applications allowed (100).",
    "NUMBER_TYPE_OUT_OF_RANGE": "A number outside its allowed range.",
    "PASSKEY_AUTHENTICATION_FAILED": "The passkey assertion was refused.",
    "SSO_HANDLE_NOT_RESOLVED": "The AT Protocol handle or DID could not be resolved to an account.",
    "UNAUTHORIZED": "The WebAuthn assertion does not belong to this user.",
    "UNKNOWN_SSO_PROVIDER": "No enabled provider has this name (see GET /auth/sso/status).",
    "WEBAUTHN_CREDENTIAL_EXISTS": "This security key is already registered.",
}

RATE_LIMIT_HEADERS = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
    "X-RateLimit-Global": {"description": "`true` when the global limit (50 requests per second per client) was hit.",
                           "schema": {"type": "string", "enum": ["true", "false"]}},
    "X-RateLimit-Limit": {"description": "Requests allowed in the bucket's window.", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the window.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "Unix time (seconds) when the window resets.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset-After": {"description": "Seconds until the window resets.", "schema": {"type": "number"}},
    "X-RateLimit-Bucket": {"description": "The bucket's name.", "schema": {"type": "string"}},
}

RESPONSES = {
    "FluxerAuthBadRequest": {"description": "Bad Request: see `code`; validation errors list each field in `errors`.",
                             "content": json_body(ref("FluxerAuthError"))},
    "FluxerAuthUnauthorized": {"description": "Unauthorized: no credential, or one that is unknown, expired or revoked (`UNAUTHORIZED`).",
                               "content": json_body(ref("FluxerAuthError"))},
    "FluxerAuthForbidden": {"description": "Forbidden: see `code`.", "content": json_body(ref("FluxerAuthError"))},
    "FluxerAuthNotFound": {"description": "Not Found: see `code`.", "content": json_body(ref("FluxerAuthError"))},
    "FluxerAuthRateLimited": {"description": "Too Many Requests (`RATE_LIMITED`).", "headers": RATE_LIMIT_HEADERS,
                              "content": json_body(ref("FluxerAuthRateLimitError"))},
    "FluxerAuthBadGateway": {"description": "The sign-in provider is unavailable or answered wrongly (`SSO_PROVIDER_ERROR`).",
                             "content": json_body(ref("FluxerAuthError"))},
    "FluxerAuthServiceUnavailable": {
        "description": "Service Unavailable (`SERVICE_UNAVAILABLE`): storage failing or busy (a full disk, an I/O error, a held write "
                       "lock, PostgreSQL unreachable), or a bounded resource full (pending sign-ins, a slow provider).",
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
        "content": json_body(ref("FluxerAuthError")),
    },
}

PARAMETERS = {
    "SudoModeJWT": {
        "name": "X-Fluxer-Sudo-Mode-JWT", "in": "header", "required": False,
        "description": "A sudo token from an earlier proof by a second factor (5 minutes), instead of a proof in the body. The "
                       "cookie `__flx_sudo_<user id>` is accepted in its place.",
        "schema": {"type": "string"},
    },
}

AUTHORIZE_PARAMETERS = {
    "client_id": {"description": "The application's id.", "$ref": SCHEMA + "SnowflakeType"},
    "redirect_uri": {"type": "string", "maxLength": 2048,
                     "description": "A registered redirect URI; may be left out when exactly one is registered, or for a bot-only "
                                    "request without code grant."},
    "response_type": {"type": "string", "enum": ["code"], "description": "Only the code flow (RFC 9700 §2.1.2)."},
    "scope": {"type": "string", "maxLength": 2048, "description": "Space-separated: identify, email, guilds, connections, bot."},
    "state": {"type": "string", "maxLength": 2048, "description": "Returned unchanged to the client."},
    "code_challenge": {"type": "string", "minLength": 43, "maxLength": 43,
                       "description": "PKCE S256 challenge (RFC 7636); required for public clients and with `oauth.require_pkce`."},
    "code_challenge_method": {"type": "string", "enum": ["S256"], "description": "Only S256 (`plain` is refused)."},
    "guild_id": {"description": "With the `bot` scope: the guild to add the bot to.", "$ref": SCHEMA + "SnowflakeType"},
    "permissions": {"type": "string", "pattern": "^[0-9]{1,19}$",
                    "description": "With the `bot` scope: permission bits asked for the bot (masked by the inviter's)."},
    "prompt": {"type": "string", "enum": ["none", "consent", "login"],
               "description": "`none`: answer at once (redirect with a code, or `login_required` / `consent_required`)."},
    "integration_type": {"type": "string", "description": "Accepted and carried through the pages; not used."},
    "disable_guild_select": {"type": "string", "description": "Accepted and carried through the pages; not used."},
}


def authorize_form(extra, required):
    properties = dict(AUTHORIZE_PARAMETERS)
    properties.update(extra)
    return {
        "type": "object",
        "description": "The authorization request's parameters (carried as hidden fields), plus this form's own fields.",
        "properties": properties,
        "required": ["client_id"] + required,
    }


CSRF_FIELD = {"type": "string", "description": "The double-submit token the page put in the form (it must equal the CSRF cookie)."}

SCHEMAS = {
    "FluxerAuthErrorCode": {
        "type": "string",
        "description": "Top-level error codes this server answers that Fluxer's APIErrorCode does not list.",
        "enum": sorted(ERROR_CODES),
        "x-enumDescriptions": [ERROR_CODES[code] for code in sorted(ERROR_CODES)],
    },
    "FluxerAuthValidationErrorCode": {
        "type": "string",
        "description": "Field error codes (`errors[].code`) this server answers that ValidationErrorCodeSchema's known values do not list.",
        "enum": sorted(VALIDATION_ERROR_CODES),
        "x-enumDescriptions": [VALIDATION_ERROR_CODES[code] for code in sorted(VALIDATION_ERROR_CODES)],
    },
    "FluxerAuthError": {
        "type": "object",
        "description": "The error shape every JSON route of this server answers (Fluxer's `Error`, with its catalogue extended "
                       "and the extra members some errors carry).",
        "properties": {
            "code": {"anyOf": [ref("APIErrorCode"), ref("FluxerAuthErrorCode")]},
            "message": {"type": "string", "description": "Human-readable, en-US."},
            "errors": {"type": "array", "description": "With `INVALID_FORM_BODY`: one item per refused field.",
                       "items": ref("FluxerAuthValidationErrorItem")},
            "has_mfa": {"type": "boolean", "description": "With `SUDO_MODE_REQUIRED`: whether the proof must be a second factor."},
            "required_scope": {"type": "string", "description": "With `MISSING_OAUTH_SCOPE`: the scope the route needs."},
        },
        "required": ["code", "message"],
    },
    "FluxerAuthValidationErrorItem": {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "The field, e.g. `email` or `redirect_uris.0`; `root` for the whole body."},
            "message": {"type": "string"},
            "code": {"anyOf": [ref("ValidationErrorCodeSchema"), ref("FluxerAuthValidationErrorCode")]},
        },
        "required": ["path", "message"],
    },
    "FluxerAuthRateLimitError": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": ["RATE_LIMITED"]},
            "message": {"type": "string"},
            "global": {"type": "boolean", "description": "Whether the global limit was hit."},
            "retry_after": {"type": "integer", "description": "Seconds to wait before retrying."},
        },
        "required": ["code", "message", "global", "retry_after"],
    },
    "OAuth2ErrorResponse": {
        "type": "object",
        "description": "RFC 6749 §5.2 error: the token, revocation and introspection endpoints and the JSON consent answer it.",
        "properties": {
            "error": {"type": "string", "enum": ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                                                 "unsupported_grant_type", "invalid_scope", "access_denied", "unsupported_response_type",
                                                 "unsupported_token_type", "server_error"]},
            "error_description": {"type": "string"},
        },
        "required": ["error"],
    },
    "HealthResponse": {
        "type": "object",
        "properties": {"status": {"type": "string", "enum": ["ok"]}},
        "required": ["status"],
    },
    "ReadinessResponse": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "schema_version": {"type": "integer", "description": "The database's schema version (absent when the database is unreachable)."},
            "reason": {"type": "string", "enum": ["migrations pending", "database unavailable"], "description": "With `not_ready`."},
        },
        "required": ["status"],
    },
    "AuthorizationServerMetadata": {
        "type": "object",
        "description": "RFC 8414 §2 authorization server metadata. Every URL is under the public URL (`server.public_url`).",
        "properties": {
            "issuer": {"type": "string", "format": "uri", "description": "The public URL; also the `iss` of authorization responses (RFC 9207)."},
            "authorization_endpoint": {"type": "string", "format": "uri"},
            "token_endpoint": {"type": "string", "format": "uri"},
            "revocation_endpoint": {"type": "string", "format": "uri"},
            "introspection_endpoint": {"type": "string", "format": "uri"},
            "userinfo_endpoint": {"type": "string", "format": "uri"},
            "scopes_supported": {"type": "array", "items": {"type": "string", "enum": ["identify", "email", "guilds", "connections", "bot"]}},
            "response_types_supported": {"type": "array", "items": {"type": "string", "enum": ["code"]}},
            "response_modes_supported": {"type": "array", "items": {"type": "string", "enum": ["query"]}},
            "grant_types_supported": {"type": "array", "items": {"type": "string", "enum": ["authorization_code", "refresh_token"]}},
            "token_endpoint_auth_methods_supported": {"type": "array", "items": {"type": "string",
                                                                                 "enum": ["client_secret_basic", "client_secret_post", "none"]}},
            "revocation_endpoint_auth_methods_supported": {"type": "array", "items": {"type": "string",
                                                                                      "enum": ["client_secret_basic", "client_secret_post", "none"]}},
            "introspection_endpoint_auth_methods_supported": {"type": "array", "items": {"type": "string",
                                                                                         "enum": ["client_secret_basic", "client_secret_post"]}},
            "code_challenge_methods_supported": {"type": "array", "items": {"type": "string", "enum": ["S256"]}},
            "authorization_response_iss_parameter_supported": {"type": "boolean", "enum": [True]},
        },
        "required": ["issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint", "introspection_endpoint",
                     "userinfo_endpoint", "scopes_supported", "response_types_supported", "response_modes_supported",
                     "grant_types_supported", "token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported",
                     "introspection_endpoint_auth_methods_supported", "code_challenge_methods_supported",
                     "authorization_response_iss_parameter_supported"],
    },
    "JSONWebKeySet": {
        "type": "object",
        "description": "RFC 7517 §5 key set: public keys only.",
        "properties": {"keys": {"type": "array", "items": ref("JSONWebKey")}},
        "required": ["keys"],
    },
    "JSONWebKey": {
        "type": "object",
        "description": "An EC P-256 public signing key (RFC 7517, RFC 7518 §6.2.1).",
        "properties": {
            "kty": {"type": "string", "enum": ["EC"]},
            "crv": {"type": "string", "enum": ["P-256"]},
            "x": {"type": "string", "description": "base64url"},
            "y": {"type": "string", "description": "base64url"},
            "kid": {"type": "string"},
            "use": {"type": "string", "enum": ["sig"]},
            "alg": {"type": "string", "enum": ["ES256"]},
        },
        "required": ["kty", "crv", "x", "y", "kid", "use", "alg"],
    },
    "ATProtoClientMetadata": {
        "type": "object",
        "description": "Our AT Protocol OAuth client's metadata document (atproto OAuth \"client ID metadata document\"; RFC 7591 §2 "
                       "fields). Its own URL is the `client_id`.",
        "properties": {
            "client_id": {"type": "string", "format": "uri", "description": "`<public URL>/oauth/atproto/client-metadata.json`."},
            "client_name": {"type": "string"},
            "application_type": {"type": "string", "enum": ["web"]},
            "grant_types": {"type": "array", "items": {"type": "string", "enum": ["authorization_code", "refresh_token"]}},
            "response_types": {"type": "array", "items": {"type": "string", "enum": ["code"]}},
            "redirect_uris": {"type": "array", "items": {"type": "string", "format": "uri"},
                              "description": "Our `/auth/sso/callback`."},
            "scope": {"type": "string", "description": "Every atproto provider's scopes together, e.g. `atproto transition:generic`."},
            "dpop_bound_access_tokens": {"type": "boolean", "enum": [True]},
            "token_endpoint_auth_method": {"type": "string", "enum": ["private_key_jwt"]},
            "token_endpoint_auth_signing_alg": {"type": "string", "enum": ["ES256"]},
            "jwks_uri": {"type": "string", "format": "uri", "description": "`<public URL>/oauth/atproto/jwks.json`."},
        },
        "required": ["client_id", "client_name", "application_type", "grant_types", "response_types", "redirect_uris", "scope",
                     "dpop_bound_access_tokens", "token_endpoint_auth_method", "token_endpoint_auth_signing_alg", "jwks_uri"],
    },
    "UserConnectionResponse": {
        "type": "object",
        "description": "A linked Bluesky account, in the shape of Fluxer's connection objects.",
        "properties": {
            "id": {"type": "string", "description": "The account's DID."},
            "type": {"type": "string", "enum": ["bsky"]},
            "name": {"type": "string", "description": "The handle when known, else the DID."},
            "verified": {"type": "boolean", "enum": [True]},
            "visibility": {"type": "integer", "enum": [1]},
            "friend_sync": {"type": "boolean", "enum": [False]},
            "show_activity": {"type": "boolean", "enum": [False]},
            "revoked": {"type": "boolean", "enum": [False]},
        },
        "required": ["id", "type", "name", "verified", "visibility", "friend_sync", "show_activity", "revoked"],
    },
    "UserConnectionListResponse": {"type": "array", "items": ref("UserConnectionResponse")},
    "TotpSetupResponse": {
        "type": "object",
        "description": "A server-made TOTP secret, pending until POST /users/@me/mfa/totp/enable verifies a first code with it.",
        "properties": {
            "secret": {"type": "string", "description": "160 random bits, base32 (RFC 4648), unpadded."},
            "uri": {"type": "string", "description": "The `otpauth://totp/…` provisioning URI (issuer `mfa.totp_issuer`)."},
            "qr_code": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "The URI as a QR code: an SVG `data:` URI."},
            "expires_in": {"type": "integer", "enum": [900], "description": "Seconds the pending secret is kept."},
        },
        "required": ["secret", "uri", "qr_code", "expires_in"],
    },
    "SsoLinkRequest": {
        "allOf": [
            ref("SudoVerificationSchema"),
            {
                "type": "object",
                "properties": {
                    "provider": {"type": "string", "description": "A provider of GET /auth/sso/status; default: the instance's default provider."},
                    "redirect_to": {"type": "string", "maxLength": 2048,
                                    "description": "A same-site relative path to land on afterwards (anything else becomes `/`)."},
                },
            },
        ],
    },
    "SsoSignInStartResponse": {
        "type": "object",
        "properties": {
            "authorization_url": {"type": "string", "description": "Where to send the browser: the provider's authorization endpoint."},
            "session_url": {"type": "string", "description": "The same URL (the guide's name for it)."},
            "state": {"type": "string", "description": "The sign-in's state (single use, 10 minutes)."},
            "redirect_uri": {"type": "string", "description": "Where the provider sends the browser back."},
        },
        "required": ["authorization_url", "session_url", "state", "redirect_uri"],
    },
    "BlueskyConnectionAuthorizeRequest": {
        "type": "object",
        "properties": {"handle": {"type": "string", "minLength": 1, "maxLength": 2048, "description": "A Bluesky handle or DID."}},
        "required": ["handle"],
    },
    "BlueskyConnectionAuthorizeResponse": {
        "type": "object",
        "properties": {"authorize_url": {"type": "string", "description": "Where to send the browser: the account's authorization server."}},
        "required": ["authorize_url"],
    },
    "AuthorizeLoginForm": authorize_form({
        "csrf": CSRF_FIELD,
        "email": {"type": "string", "maxLength": 254},
        "password": {"type": "string", "minLength": 8, "maxLength": 256},
    }, ["csrf", "email", "password"]),
    "AuthorizeSsoForm": authorize_form({
        "csrf": CSRF_FIELD,
        "sso_provider": {"type": "string", "description": "The provider's name; default: the instance's default provider."},
    }, ["csrf"]),
    "AuthorizeMfaForm": authorize_form({
        "csrf": CSRF_FIELD,
        "ticket": {"type": "string", "description": "The MFA ticket the page put in the form (5 minutes)."},
        "action": {"type": "string", "enum": ["verify", "send_sms", "webauthn"]},
        "method": {"type": "string", "enum": ["totp", "sms"], "description": "With `verify`: where the code comes from (`totp` also takes a backup code)."},
        "code": {"type": "string", "maxLength": 16},
        "challenge": {"type": "string", "description": "With `webauthn`: the challenge the page issued for this ticket."},
        "response": {"type": "string", "description": "With `webauthn`: the assertion as JSON (the `toJSON()` shape, base64url)."},
    }, ["csrf", "ticket", "action"]),
    "AuthorizeDecisionForm": authorize_form({
        "csrf": CSRF_FIELD,
        "action": {"type": "string", "enum": ["authorize", "cancel"]},
    }, ["csrf", "action"]),
    "DevOutboxMessage": {
        "type": "object",
        "properties": {
            "id": ref("SnowflakeType"),
            "channel": {"type": "string", "enum": ["email", "sms"]},
            "to": {"type": "string", "description": "Email address or phone number."},
            "kind": {"type": "string", "description": "What it is for, e.g. `verify_email`, `password_reset`, `sms_login_code`."},
            "subject": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "body": {"type": "string", "description": "The text (`[sealed with another server key]` when it cannot be opened)."},
            "created_at": {"type": "string", "format": "date-time"},
            "delivered": {"type": "boolean"},
            "failed": {"type": "boolean"},
            "attempts": {"type": "integer"},
            "links": {"type": "array", "items": {"type": "string"}, "description": "Links found in the body."},
            "codes": {"type": "array", "items": {"type": "string"}, "description": "Codes found in the body."},
        },
        "required": ["id", "channel", "to", "kind", "subject", "body", "created_at", "delivered", "failed", "attempts", "links", "codes"],
    },
    "DevResetResponse": {
        "type": "object",
        "description": "What `POST /_dev/reset` did: the product tables it emptied and the fixtures it wrote again.",
        "properties": {
            "reset": {"type": "boolean", "enum": [True]},
            "tables": {"type": "integer", "minimum": 0, "description": "How many tables were emptied."},
            "seed": {"type": ["string", "null"], "description": "The seed file the fixtures come from (null: none, the database is left empty)."},
            "fixtures": {"description": "The seed summary (ids; secrets of what was created), as `fluxer-auth seed` prints it; null without a seed file.",
                         "type": ["object", "null"]},
        },
        "required": ["reset", "tables", "seed", "fixtures"],
    },
    "DevOutboxResponse": {
        "type": "object",
        "properties": {"messages": {"type": "array", "items": ref("DevOutboxMessage"), "description": "Newest first."}},
        "required": ["messages"],
    },
    "DevOpenIDConfiguration": {
        "type": "object",
        "description": "OpenID Connect Discovery 1.0 §3 metadata of the built-in provider (issuer `<public URL>/_dev/sso`).",
        "properties": {
            "issuer": {"type": "string"},
            "authorization_endpoint": {"type": "string"},
            "token_endpoint": {"type": "string"},
            "jwks_uri": {"type": "string"},
            "userinfo_endpoint": {"type": "string"},
            "response_types_supported": {"type": "array", "items": {"type": "string", "enum": ["code"]}},
            "subject_types_supported": {"type": "array", "items": {"type": "string", "enum": ["public"]}},
            "id_token_signing_alg_values_supported": {"type": "array", "items": {"type": "string", "enum": ["ES256"]}},
            "code_challenge_methods_supported": {"type": "array", "items": {"type": "string", "enum": ["S256"]}},
        },
        "required": ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "response_types_supported",
                     "subject_types_supported", "id_token_signing_alg_values_supported", "code_challenge_methods_supported"],
    },
    "DevSsoAuthorizeRequest": {
        "type": "object",
        "properties": {
            "response_type": {"type": "string", "enum": ["code"]},
            "client_id": {"type": "string", "description": "Any non-empty id (ours is `fluxer-auth-dev`)."},
            "redirect_uri": {"type": "string", "description": "An `http`, `https` or `fluxer` URI."},
            "scope": {"type": "string", "description": "Must contain `openid`."},
            "state": {"type": "string"},
            "nonce": {"type": "string"},
            "code_challenge": {"type": "string", "minLength": 43, "maxLength": 43},
            "code_challenge_method": {"type": "string", "enum": ["S256"]},
            "email": {"type": "string", "description": "The address to sign in as (the form's field)."},
            "login_hint": {"type": "string", "description": "The address to sign in as, skipping the form."},
            "amr": {"type": "string", "description": "Comma-separated RFC 8176 methods for the ID token's `amr` (to try provider MFA)."},
        },
        "required": ["response_type", "client_id", "redirect_uri", "scope", "code_challenge", "code_challenge_method"],
    },
    "DevSsoTokenRequest": {
        "type": "object",
        "properties": {
            "grant_type": {"type": "string", "enum": ["authorization_code"]},
            "code": {"type": "string"},
            "redirect_uri": {"type": "string"},
            "client_id": {"type": "string"},
            "code_verifier": {"type": "string"},
        },
        "required": ["grant_type", "code", "redirect_uri", "client_id", "code_verifier"],
    },
    "DevSsoTokenResponse": {
        "type": "object",
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "enum": [300]},
            "id_token": {"type": "string", "description": "ES256 JWT: iss, sub, aud, iat, exp, email, email_verified (always true), name, "
                                                          "and nonce and amr when asked."},
        },
        "required": ["access_token", "token_type", "expires_in", "id_token"],
    },
    "DevSsoUserInfo": {
        "type": "object",
        "properties": {"sub": {"type": "string"}, "email": {"type": "string"}, "email_verified": {"type": "boolean", "enum": [True]}},
        "required": ["sub", "email", "email_verified"],
    },
    "DevSsoError": {
        "type": "object",
        "properties": {"error": {"type": "string", "enum": ["invalid_grant", "unsupported_grant_type", "invalid_token"]}},
        "required": ["error"],
    },
    "DevATProtoProtectedResourceMetadata": {
        "type": "object",
        "description": "RFC 9728 protected resource metadata of the mock PDS.",
        "properties": {
            "resource": {"type": "string"},
            "authorization_servers": {"type": "array", "items": {"type": "string"}},
            "scopes_supported": {"type": "array", "items": {"type": "string"}},
            "bearer_methods_supported": {"type": "array", "items": {"type": "string", "enum": ["header"]}},
        },
        "required": ["resource", "authorization_servers", "scopes_supported", "bearer_methods_supported"],
    },
    "DevATProtoAuthorizationServerMetadata": {
        "type": "object",
        "description": "RFC 8414 metadata with what the atproto OAuth profile requires (PAR, DPoP, private_key_jwt).",
        "properties": {
            "issuer": {"type": "string"},
            "authorization_endpoint": {"type": "string"},
            "token_endpoint": {"type": "string"},
            "pushed_authorization_request_endpoint": {"type": "string"},
            "require_pushed_authorization_requests": {"type": "boolean"},
            "authorization_response_iss_parameter_supported": {"type": "boolean"},
            "response_types_supported": {"type": "array", "items": {"type": "string"}},
            "response_modes_supported": {"type": "array", "items": {"type": "string"}},
            "grant_types_supported": {"type": "array", "items": {"type": "string"}},
            "code_challenge_methods_supported": {"type": "array", "items": {"type": "string"}},
            "token_endpoint_auth_methods_supported": {"type": "array", "items": {"type": "string"}},
            "token_endpoint_auth_signing_alg_values_supported": {"type": "array", "items": {"type": "string"}},
            "dpop_signing_alg_values_supported": {"type": "array", "items": {"type": "string"}},
            "scopes_supported": {"type": "array", "items": {"type": "string"}},
            "client_id_metadata_document_supported": {"type": "boolean"},
            "request_parameter_supported": {"type": "boolean"},
            "request_uri_parameter_supported": {"type": "boolean"},
        },
        "required": ["issuer", "authorization_endpoint", "token_endpoint", "pushed_authorization_request_endpoint"],
    },
    "DevATProtoPushedAuthorizationResponse": {
        "type": "object",
        "description": "RFC 9126 §2.2.",
        "properties": {
            "request_uri": {"type": "string", "description": "`urn:ietf:params:oauth:request_uri:…`, single use."},
            "expires_in": {"type": "integer", "enum": [90]},
        },
        "required": ["request_uri", "expires_in"],
    },
    "DevATProtoTokenResponse": {
        "type": "object",
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["DPoP"]},
            "expires_in": {"type": "integer", "enum": [3600]},
            "refresh_token": {"type": "string"},
            "scope": {"type": "string"},
            "sub": {"type": "string", "description": "The account's DID."},
        },
        "required": ["access_token", "token_type", "expires_in", "refresh_token", "scope", "sub"],
    },
    "DevATProtoResolveHandleResponse": {
        "type": "object",
        "properties": {"did": {"type": "string"}},
        "required": ["did"],
    },
    "DevATProtoSession": {
        "type": "object",
        "properties": {
            "did": {"type": "string"},
            "handle": {"type": "string"},
            "email": {"type": "string", "description": "Only under the `transition:email` scope."},
            "emailConfirmed": {"type": "boolean", "description": "Only under the `transition:email` scope."},
        },
        "required": ["did", "handle"],
    },
    "DevATProtoDIDDocument": {
        "type": "object",
        "description": "A W3C DID document with the handle in `alsoKnownAs` and the `#atproto_pds` service.",
        "properties": {
            "@context": {"type": "array", "items": {"type": "string"}},
            "id": {"type": "string"},
            "alsoKnownAs": {"type": "array", "items": {"type": "string"}},
            "verificationMethod": {"type": "array", "items": {"type": "object"}},
            "service": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "type": {"type": "string"}, "serviceEndpoint": {"type": "string"}}}},
        },
        "required": ["@context", "id", "alsoKnownAs", "verificationMethod", "service"],
    },
    "DevATProtoError": {
        "type": "object",
        "description": "An RFC 6749 §5.2 error (`error`, `error_description`) or an XRPC error (`error`, `message`).",
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}, "message": {"type": "string"}},
    },
}

# How this server answers some of Fluxer's operations, where their document does not show it.
NOTES = {
    operation: {
        "security": [{"clientBasic": []}, {}],
        "requestContentTypes": ["application/x-www-form-urlencoded", "multipart/form-data"],
        "errorSchema": ref("OAuth2ErrorResponse"),
        "description": "Client authentication is HTTP Basic (`clientBasic`) or `client_id` + `client_secret` in the form, never both and "
                       "never in the query; a public client sends only `client_id`. Errors use the RFC 6749 §5.2 shape "
                       "(`invalid_client` is 401, with `WWW-Authenticate: Basic` when Basic was used)." + extra,
    }
    for operation, extra in [
        ("exchange_oauth2_token", " Grants: `authorization_code` (PKCE S256; required for public clients) and `refresh_token` (single use: "
                                  "each refresh returns a new pair, and replaying a used refresh token revokes the whole grant)."),
        ("revoke_oauth2_token", " Answers 204 for an unknown token as for a revoked one (RFC 7009 §2.2, no oracle); a refresh token takes "
                                "its whole grant with it; another client's token is refused (`unauthorized_client`) and stays valid."),
        ("introspect_oauth2_token", " Confidential clients only (RFC 7662 §2.1); a token of another client is `{\"active\": false}`."),
    ]
}
NOTES["provide_oauth2_consent"] = {
    "security": SESSION,
    "errorSchema": ref("OAuth2ErrorResponse"),
    "description": "User sessions only (a bot token gets 403 `ACCESS_DENIED`). A request the authorization endpoint would refuse "
                   "is answered 400 in the RFC 6749 shape (`invalid_request`, `invalid_scope`, …).",
}


def errors(*codes):
    return list(codes)


PATHS = {
    # ---- Operations ------------------------------------------------------------------------------------------------
    "/healthz": {"get": {
        "operationId": "get_health", "tags": ["Operations"], "summary": "Liveness",
        "description": "The process is up and serving. Answered on the event loop; " + NOT_RATE_LIMITED,
        "responses": {"200": {"description": "Up.", "content": json_body(ref("HealthResponse"))}},
    }},
    "/readyz": {"get": {
        "operationId": "get_readiness", "tags": ["Operations"], "summary": "Readiness",
        "description": "The database answers and its migrations are current. " + NOT_RATE_LIMITED,
        "responses": {
            "200": {"description": "Ready.", "content": json_body(ref("ReadinessResponse"))},
            "503": {"description": "Not ready: migrations pending, or the database unavailable.", "content": json_body(ref("ReadinessResponse"))},
        },
    }},
    "/metrics": {"get": {
        "operationId": "get_metrics", "tags": ["Operations"], "summary": "Prometheus metrics",
        "description": "Every family the README's Metrics section lists, in the Prometheus text exposition format 0.0.4: "
                       "`fluxer_http_requests_total` by method, route pattern and status, the "
                       "`fluxer_http_request_duration_seconds` histogram, open connections, worker queue depths, logins by "
                       "outcome, tokens issued and revoked by kind, rate-limit refusals, database busy retries, the outbox "
                       "backlog and uptime. " + NOT_RATE_LIMITED,
        "responses": {"200": {"description": "Metrics.", "content": {"text/plain; version=0.0.4; charset=utf-8": {"schema": {"type": "string"}}}}},
    }},
    # ---- Documentation ---------------------------------------------------------------------------------------------
    "/openapi.json": {"get": {
        "operationId": "get_openapi_document", "tags": ["Documentation"], "summary": "This document",
        "description": "The OpenAPI 3.1 document, built into the binary. `servers` names the configured public URL (`server.public_url`), "
                       "or a relative URL when none is configured. Cacheable: `ETag` and `Cache-Control`; a matching `If-None-Match` "
                       "gets 304.",
        "parameters": [{"name": "If-None-Match", "in": "header", "required": False, "description": "An ETag from an earlier answer.",
                        "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "The document.", "headers": {
                "ETag": {"description": "Strong validator of this answer.", "schema": {"type": "string"}},
                "Cache-Control": {"description": "`public, max-age=300`.", "schema": {"type": "string"}}},
                "content": json_body({"type": "object", "description": "An OpenAPI 3.1 document."})},
            "304": {"description": "Not Modified: the ETag matched.", "headers": {"ETag": {"schema": {"type": "string"}}}},
            "429": response("FluxerAuthRateLimited"),
        },
        "x-fluxer-auth-error-codes": errors("RATE_LIMITED"),
    }},
    "/docs": {"get": {
        "operationId": "get_api_reference_page", "tags": ["Documentation"], "summary": "API reference page",
        "description": "This document rendered as one HTML page by the server itself: operations by tag, with parameters, bodies, "
                       "responses and security, and every schema, `$ref`s as links. No script and no external resources.",
        "parameters": [{"name": "If-None-Match", "in": "header", "required": False, "description": "An ETag from an earlier answer.",
                        "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "The page.", "headers": {"ETag": {"schema": {"type": "string"}}, "Cache-Control": {"schema": {"type": "string"}}},
                    "content": {"text/html": {"schema": {"type": "string"}}}},
            "304": {"description": "Not Modified: the ETag matched.", "headers": {"ETag": {"schema": {"type": "string"}}}},
            "429": response("FluxerAuthRateLimited"),
        },
        "x-fluxer-auth-error-codes": errors("RATE_LIMITED"),
    }},
    # ---- Discovery -------------------------------------------------------------------------------------------------
    "/.well-known/oauth-authorization-server": {"get": {
        "operationId": "get_oauth_authorization_server_metadata", "tags": ["Discovery"], "summary": "OAuth 2.0 authorization server metadata",
        "description": "RFC 8414. Cacheable for an hour; answered on the event loop; " + NOT_RATE_LIMITED,
        "responses": {"200": {"description": "The metadata.", "content": json_body(ref("AuthorizationServerMetadata"))}},
    }},
    "/oauth/atproto/client-metadata.json": {"get": {
        "operationId": "get_atproto_client_metadata", "tags": ["Discovery"], "summary": "AT Protocol OAuth client metadata",
        "description": "The metadata document of our AT Protocol OAuth client (Sign in with Bluesky): its URL is the `client_id` Bluesky "
                       "fetches. Cacheable for 5 minutes.",
        "responses": {
            "200": {"description": "The document.", "content": json_body(ref("ATProtoClientMetadata"))},
            "429": response("FluxerAuthRateLimited"),
            "502": response("FluxerAuthBadGateway"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("RATE_LIMITED", "SSO_PROVIDER_ERROR", "SERVICE_UNAVAILABLE"),
        "x-fluxer-auth-registered-when": "an AT Protocol single sign-on provider is enabled (dev mode's built-in `bluesky` counts)",
    }},
    "/oauth/atproto/jwks.json": {"get": {
        "operationId": "get_atproto_client_jwks", "tags": ["Discovery"], "summary": "AT Protocol OAuth client keys",
        "description": "The public keys of our AT Protocol client's `private_key_jwt` assertions: the signing key, then retired keys "
                       "still published (see `fluxer-auth sso atproto-keys`). Cacheable for 5 minutes.",
        "responses": {
            "200": {"description": "The key set.", "content": json_body(ref("JSONWebKeySet"))},
            "429": response("FluxerAuthRateLimited"),
            "502": response("FluxerAuthBadGateway"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("RATE_LIMITED", "SSO_PROVIDER_ERROR", "SERVICE_UNAVAILABLE"),
        "x-fluxer-auth-registered-when": "an AT Protocol single sign-on provider is enabled (dev mode's built-in `bluesky` counts)",
    }},
    # ---- Auth ------------------------------------------------------------------------------------------------------
    "/auth/sso/callback": {"get": {
        "operationId": "handle_sso_callback", "tags": ["Auth"], "summary": "Single sign-on callback",
        "description": "Where every provider returns the browser. The state is spent (single use), the code exchanged with the provider "
                       "and the sign-in finished:\n"
                       "- started from the authorize page (its binding cookie): 303 back to that page signed in (session cookie), or its "
                       "MFA step;\n"
                       "- started through `POST /auth/sso/start`: 303 to `<sso.app_url><redirect_to>?code=<completion code>&state=<state>`; "
                       "the web app posts the code to `POST /auth/sso/complete` within 60 s. In dev mode with nowhere to go, a page shows "
                       "the code and the curl line;\n"
                       "- a Bluesky connection: 303 to `<sso.app_url>/connection-callback?status=connected` (or `status=error&reason=<code>`).\n"
                       "A sign-in started by a page of this site finishes only in the browser that started it (login CSRF).",
        "parameters": [
            query("code", "The provider's authorization code."),
            query("state", "The sign-in's state."),
            query("iss", "The authorization server's issuer (RFC 9207), for AT Protocol providers."),
            query("error", "The provider's error, when the user cancelled or it refused."),
        ],
        "responses": {
            "200": html("The dev-mode page with the completion code, or the authorize page's MFA step."),
            "303": redirect("To the web app with a completion code, back to the authorize page signed in, or to the connection callback.",
                            {"Set-Cookie": SET_COOKIE}),
            "400": html("The provider answered `error` (the user cancelled), or an API-started sign-in is expired, used, started in "
                        "another browser, or refused."),
            "403": html("Refused (e.g. `SSO_REQUIRED`, `SSO_LINK_REQUIRED`: the page shows the message); a sign-in started from the "
                        "authorize page that cannot finish (expired, used) is answered 403 as well."),
            "429": html("A rate limit of the sign-in (the page shows it)."),
            "502": html("The provider is unavailable or answered wrongly."),
            "503": html("Storage or the provider is busy; try again."),
        },
    }},
    # ---- Users -----------------------------------------------------------------------------------------------------
    "/users/@me/connections": {"get": {
        "operationId": "list_user_connections", "tags": ["Users"], "summary": "List connections",
        "description": "The user's linked Bluesky accounts (see POST /users/@me/connections/bluesky/authorize).",
        "security": [{"sessionToken": []}, {"botToken": []}, {"oauth2Token": ["connections"]}],
        "responses": {
            "200": {"description": "The connections.", "content": json_body(ref("UserConnectionListResponse"))},
            "401": response("FluxerAuthUnauthorized"),
            "403": response("FluxerAuthForbidden"),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("UNAUTHORIZED", "MISSING_OAUTH_SCOPE", "RATE_LIMITED", "SERVICE_UNAVAILABLE"),
    }},
    "/users/@me/connections/bluesky/authorize": {"post": {
        "operationId": "authorize_bluesky_connection", "tags": ["Users"], "summary": "Start linking a Bluesky account",
        "description": "Starts an AT Protocol sign-in that links the Bluesky account to this user as a connection. The browser goes to "
                       "`authorize_url` and comes back to `/auth/sso/callback`, which answers 303 to `<sso.app_url>/connection-callback?"
                       "status=connected|error&reason=…`. A DID linked to another account is refused there (`CONNECTION_ALREADY_EXISTS`); "
                       "at most 10 connections (`CONNECTION_LIMIT_REACHED`). Called by a page of this site, it also sets a cookie binding "
                       "the callback to that browser.",
        "security": SESSION,
        "requestBody": {"required": True, "content": json_body(ref("BlueskyConnectionAuthorizeRequest"))},
        "responses": {
            "200": {"description": "The URL to send the browser to.", "headers": {"Set-Cookie": SET_COOKIE},
                    "content": json_body(ref("BlueskyConnectionAuthorizeResponse"))},
            "400": response("FluxerAuthBadRequest"),
            "401": response("FluxerAuthUnauthorized"),
            "403": response("FluxerAuthForbidden"),
            "415": {"description": "The body is not JSON (`UNSUPPORTED_MEDIA_TYPE`).", "content": json_body(ref("FluxerAuthError"))},
            "429": response("FluxerAuthRateLimited"),
            "502": response("FluxerAuthBadGateway"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("BLUESKY_OAUTH_NOT_ENABLED", "INVALID_FORM_BODY", "UNAUTHORIZED", "ACCESS_DENIED",
                                            "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED", "SSO_PROVIDER_ERROR", "SERVICE_UNAVAILABLE"),
    }},
    "/users/@me/connections/bluesky/{did}": {"delete": {
        "operationId": "delete_bluesky_connection", "tags": ["Users"], "summary": "Remove a Bluesky connection",
        "description": "Unlinks the Bluesky account. Needs sudo: a proof in the body (`SudoVerificationSchema`) or "
                       "`X-Fluxer-Sudo-Mode-JWT`. The account's only way to sign in cannot be removed (`CONNECTION_VERIFICATION_FAILED`).",
        "security": SESSION,
        "parameters": [path_parameter("did", "The connection's DID."), {"$ref": "#/components/parameters/SudoModeJWT"}],
        "requestBody": {"required": False, "content": json_body(ref("SudoVerificationSchema"))},
        "responses": {
            "204": {"description": "Removed.", "headers": {"X-Fluxer-Sudo-Mode-JWT": SUDO_JWT_HEADER}},
            "400": response("FluxerAuthBadRequest"),
            "401": response("FluxerAuthUnauthorized"),
            "403": response("FluxerAuthForbidden"),
            "404": response("FluxerAuthNotFound"),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("CONNECTION_VERIFICATION_FAILED", "INVALID_FORM_BODY", "UNAUTHORIZED", "ACCESS_DENIED",
                                            "SUDO_MODE_REQUIRED", "CONNECTION_NOT_FOUND", "RATE_LIMITED", "SERVICE_UNAVAILABLE"),
    }},
    "/users/@me/mfa/totp/setup": {"post": {
        "operationId": "setup_totp_mfa", "tags": ["Users"], "summary": "Set up TOTP",
        "description": "Makes a TOTP secret on the server (the guide's setup) and keeps it, sealed, for 15 minutes; "
                       "`POST /users/@me/mfa/totp/enable {code}` then turns it on with a first code. No body.",
        "security": SESSION,
        "responses": {
            "200": {"description": "The secret, its URI and QR code.", "content": json_body(ref("TotpSetupResponse"))},
            "400": response("FluxerAuthBadRequest"),
            "401": response("FluxerAuthUnauthorized"),
            "403": response("FluxerAuthForbidden"),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("MFA_NOT_DISABLED", "UNAUTHORIZED", "ACCESS_DENIED", "RATE_LIMITED", "SERVICE_UNAVAILABLE"),
    }},
    "/users/@me/sso/link": {"post": {
        "operationId": "start_sso_link", "tags": ["Users"], "summary": "Start linking single sign-on",
        "description": "For an existing account when `sso.link_existing_accounts` is on: starts a sign-in at the provider that links "
                       "the provider account to this one. Needs sudo (a proof in the body, or `X-Fluxer-Sudo-Mode-JWT`). Send the "
                       "browser to `authorization_url`, then post `{code, state}` to `POST /auth/sso/complete` with this same session: "
                       "the answer is `{user_id, linked: true, redirect_to}`. Completed without that session, the state is spent and "
                       "links nothing.",
        "security": SESSION,
        "parameters": [{"$ref": "#/components/parameters/SudoModeJWT"}],
        "requestBody": {"required": False, "content": json_body(ref("SsoLinkRequest"))},
        "responses": {
            "200": {"description": "Where to send the browser.", "headers": {"X-Fluxer-Sudo-Mode-JWT": SUDO_JWT_HEADER},
                    "content": json_body(ref("SsoSignInStartResponse"))},
            "400": response("FluxerAuthBadRequest"),
            "401": response("FluxerAuthUnauthorized"),
            "403": response("FluxerAuthForbidden"),
            "415": {"description": "The body is not JSON (`UNSUPPORTED_MEDIA_TYPE`).", "content": json_body(ref("FluxerAuthError"))},
            "429": response("FluxerAuthRateLimited"),
            "502": response("FluxerAuthBadGateway"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("SSO_NOT_ENABLED", "INVALID_FORM_BODY", "UNAUTHORIZED", "ACCESS_DENIED", "SSO_LINKING_DISABLED",
                                            "SUDO_MODE_REQUIRED", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED", "SSO_PROVIDER_ERROR",
                                            "SERVICE_UNAVAILABLE"),
    }},
    # ---- OAuth2 ----------------------------------------------------------------------------------------------------
    "/oauth2/applications": {"get": {
        "operationId": "list_oauth_applications", "tags": ["OAuth2"], "summary": "List my applications",
        "description": "The applications the signed-in user owns (secrets and tokens are never shown again).",
        "security": SESSION,
        "responses": {
            "200": {"description": "The applications.", "content": json_body(ref("ApplicationListResponse"))},
            "401": response("FluxerAuthUnauthorized"),
            "403": response("FluxerAuthForbidden"),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("UNAUTHORIZED", "ACCESS_DENIED", "RATE_LIMITED", "SERVICE_UNAVAILABLE"),
    }},
    # ---- Authorize pages -------------------------------------------------------------------------------------------
    "/oauth2/authorize": {"get": {
        "operationId": "show_oauth2_authorize_page", "tags": ["Authorize pages"], "summary": "Authorization endpoint",
        "description": "RFC 6749 §4.1.1, as an HTML page: signed out, a login form (and a \"Continue with …\" form per single sign-on "
                       "provider); signed in (the session cookie), the consent page. Before the client and redirect URI are trusted, "
                       "errors are an error page; after, they are redirected to the client only once the user is signed in or with "
                       "`prompt=none` (RFC 9700 §4.11.2). Pages are unframeable, send no referrer and carry a strict CSP.",
        "security": [{}, {"sessionCookie": []}],
        "parameters": [query(name, schema.get("description", ""), {k: v for k, v in schema.items() if k != "description"},
                             required=name == "client_id")
                       for name, schema in AUTHORIZE_PARAMETERS.items()],
        "responses": {
            "200": html("The login page (with a CSRF cookie) or the consent page; with `prompt=none` for a bot, the \"Bot added\" page.",
                        {"Set-Cookie": SET_COOKIE}),
            "302": redirect("`prompt=none`: to the redirect URI with `code`, `state` and `iss`, or `error` (`login_required`, "
                            "`consent_required`, …); signed in, a refused request: to the redirect URI with `error`."),
            "400": html("An error page: unknown client, unregistered redirect URI, a refused parameter before sign-in."),
            "403": html("A private bot asked for by someone other than its owner."),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
    }},
    "/oauth2/authorize/login": {"post": {
        "operationId": "submit_oauth2_authorize_login", "tags": ["Authorize pages"], "summary": "Sign in on the authorize page",
        "description": "The login form's POST: same origin, the double-submit CSRF token, then the same throttles, lockout and checks as "
                       "`POST /auth/login`. Signed in: 303 back to the authorize page with the session cookie; with MFA: the second-factor "
                       "page.",
        "requestBody": form_body("AuthorizeLoginForm"),
        "responses": {
            "200": html("The second-factor page (the account has MFA)."),
            "303": redirect("Back to the authorize page, signed in.", {"Set-Cookie": SET_COOKIE}),
            "400": html("The login page with \"Invalid email or password.\", or an error page (unreadable form, refused request)."),
            "403": html("The form expired or came from another origin, or single sign-on is enforced."),
            "429": {"description": "The login page with \"Too many attempts.\" (`Retry-After`: the login throttles), or JSON "
                                   "`RATE_LIMITED` (the route's rate limit).", "headers": {"Retry-After": RATE_LIMIT_HEADERS["Retry-After"]},
                    "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ref("FluxerAuthRateLimitError")}}},
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("RATE_LIMITED"),
    }},
    "/oauth2/authorize/sso": {"post": {
        "operationId": "start_oauth2_authorize_sso", "tags": ["Authorize pages"], "summary": "Continue with single sign-on",
        "description": "The \"Continue with …\" form's POST: the CSRF check, then 303 to the provider with a sign-in bound to this browser "
                       "by a cookie. The provider returns to `/auth/sso/callback`, which brings the browser back here signed in.",
        "requestBody": form_body("AuthorizeSsoForm"),
        "responses": {
            "303": redirect("To the provider's authorization endpoint.", {"Set-Cookie": SET_COOKIE}),
            "400": html("An error page: unreadable form, unknown provider, refused request."),
            "403": html("The form expired or came from another origin."),
            "404": html("Single sign-on is not enabled."),
            "429": response("FluxerAuthRateLimited"),
            "502": response("FluxerAuthBadGateway"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("RATE_LIMITED", "SSO_PROVIDER_ERROR", "SERVICE_UNAVAILABLE"),
    }},
    "/oauth2/authorize/mfa": {"post": {
        "operationId": "submit_oauth2_authorize_mfa", "tags": ["Authorize pages"], "summary": "Second factor on the authorize page",
        "description": "The second-factor page's forms: `verify` a TOTP, backup or SMS code; `send_sms`; or `webauthn` with the security "
                       "key's assertion for the challenge the page issued. The ticket rules of `/auth/login/mfa/*` apply.",
        "requestBody": form_body("AuthorizeMfaForm"),
        "responses": {
            "200": html("The page again with a notice (an SMS code was sent)."),
            "303": redirect("Back to the authorize page, signed in.", {"Set-Cookie": SET_COOKIE}),
            "400": html("The page with \"That code is not valid.\", or an error page (expired ticket, unreadable form)."),
            "403": html("The form expired or came from another origin."),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("RATE_LIMITED", "SERVICE_UNAVAILABLE"),
    }},
    "/oauth2/authorize/decision": {"post": {
        "operationId": "submit_oauth2_authorize_decision", "tags": ["Authorize pages"], "summary": "Authorize or cancel",
        "description": "The consent page's POST: the session cookie, same origin and a CSRF token bound to the session. `authorize` "
                       "issues a code (or adds the bot) and redirects to the client; `cancel` redirects with `error=access_denied`.",
        "security": [{"sessionCookie": []}],
        "requestBody": form_body("AuthorizeDecisionForm"),
        "responses": {
            "200": html("\"Bot added\": a bot-only request without redirect URI was authorized."),
            "303": redirect("To the redirect URI with `code`, `state` and `iss`, or `error=access_denied`."),
            "400": html("An error page: unreadable form, a refused request or authorization (e.g. the bot is already in the guild), "
                        "or \"Not authorized\" after cancelling a request without redirect URI."),
            "401": html("The session ended."),
            "403": html("The form expired or did not come from this page, or the user may not add the bot there."),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
    }},
    "/oauth2/authorized": {"get": {
        "operationId": "show_oauth2_authorized_page", "tags": ["Authorize pages"], "summary": "\"All set\" page",
        "description": "Where a bot-only authorization through the JSON consent lands: the application was authorized.",
        "responses": {"200": html("The page."), "429": response("FluxerAuthRateLimited")},
    }},
    "/oauth2/assets/webauthn.js": {"get": {
        "operationId": "get_authorize_webauthn_script", "tags": ["Authorize pages"], "summary": "Security-key script",
        "description": "The pages' only script (`script-src 'self'`): the security-key step of the second-factor page. Cacheable for a "
                       "day; " + NOT_RATE_LIMITED,
        "responses": {"200": {"description": "The script.", "content": {"text/javascript; charset=utf-8": {"schema": {"type": "string"}}}}},
    }},
    "/oauth2/assets/authorize.css": {"get": {
        "operationId": "get_authorize_stylesheet", "tags": ["Authorize pages"], "summary": "Pages' stylesheet",
        "description": "The authorize pages' stylesheet (`style-src 'self'`). Cacheable for a day; " + NOT_RATE_LIMITED,
        "responses": {"200": {"description": "The stylesheet.", "content": {"text/css; charset=utf-8": {"schema": {"type": "string"}}}}},
    }},
    # ---- Development -----------------------------------------------------------------------------------------------
    "/_dev/outbox": {"get": {
        "operationId": "list_dev_outbox", "tags": ["Development"], "summary": "Outbox",
        "description": "The emails and text messages the server \"sent\", newest first, with the links and codes lifted from their bodies.",
        "parameters": [query("limit", "How many (default 50).", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50})],
        "responses": {
            "200": {"description": "The messages.", "content": json_body(ref("DevOutboxResponse"))},
            "400": response("FluxerAuthBadRequest"),
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("INVALID_FORM_BODY", "RATE_LIMITED", "SERVICE_UNAVAILABLE"),
        "x-fluxer-auth-dev-only": True,
    }},
    "/_dev/reset": {"post": {
        "operationId": "reset_dev_database", "tags": ["Development"], "summary": "Reset to the fixtures",
        "description": "Dev mode only: empties every product table (users, sessions, applications, codes and tokens, MFA state, SSO "
                       "identities, the outbox, the audit log, persisted rate-limit buckets) and writes the seed fixtures again, in one "
                       "transaction, with their fixed ids, passwords, secrets and bot tokens. Every principal cached before is "
                       "invalidated. Kept: applied migrations, worker and job leases, installation facts, AT Protocol client keys.",
        "responses": {
            "200": {"description": "The database holds the fixtures again.", "content": json_body(ref("DevResetResponse"))},
            "409": {"description": "The seed file cannot be applied (`SEED_REJECTED`); nothing changed.", "content": json_body(ref("FluxerAuthError"))},
            "429": response("FluxerAuthRateLimited"),
            "503": response("FluxerAuthServiceUnavailable"),
        },
        "x-fluxer-auth-error-codes": errors("SEED_REJECTED", "RATE_LIMITED", "SERVICE_UNAVAILABLE"),
        "x-fluxer-auth-dev-only": True,
    }},
}

DEV_SSO = "The built-in OpenID Connect provider (`mock`), offered in dev mode when no single sign-on is configured: "
DEV_SSO_AUTHORIZE = {
    "200": html("A form asking for the email to sign in as (every address counts as verified)."),
    "302": redirect("To `redirect_uri` with `code` (60 s, single use) and `state`."),
    "400": html("The request lacks `response_type=code`, a client id, an http(s) redirect URI, `openid` or an S256 challenge."),
}
PATHS.update({
    "/_dev/sso/.well-known/openid-configuration": {"get": {
        "operationId": "get_dev_sso_openid_configuration", "tags": ["Development"], "summary": "Mock OIDC discovery",
        "description": DEV_SSO + "its discovery document.",
        "responses": {"200": {"description": "The metadata.", "content": json_body(ref("DevOpenIDConfiguration"))}},
        "x-fluxer-auth-dev-only": True,
    }},
    "/_dev/sso/jwks": {"get": {
        "operationId": "get_dev_sso_jwks", "tags": ["Development"], "summary": "Mock OIDC keys",
        "description": DEV_SSO + "its ID-token signing key (ES256, made at start-up).",
        "responses": {"200": {"description": "The key set.", "content": json_body(ref("JSONWebKeySet"))}},
        "x-fluxer-auth-dev-only": True,
    }},
    "/_dev/sso/authorize": {
        "get": {
            "operationId": "show_dev_sso_authorize", "tags": ["Development"], "summary": "Mock OIDC authorize",
            "description": DEV_SSO + "asks for an email, or with `login_hint` redirects at once.",
            "parameters": [query(name, schema.get("description", ""), {k: v for k, v in schema.items() if k != "description"},
                                 required=name in SCHEMAS["DevSsoAuthorizeRequest"]["required"])
                           for name, schema in SCHEMAS["DevSsoAuthorizeRequest"]["properties"].items()],
            "responses": DEV_SSO_AUTHORIZE,
            "x-fluxer-auth-dev-only": True,
        },
        "post": {
            "operationId": "submit_dev_sso_authorize", "tags": ["Development"], "summary": "Mock OIDC sign-in form",
            "description": DEV_SSO + "the email form's POST (the authorize parameters with `email`).",
            "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": ref("DevSsoAuthorizeRequest")}}},
            "responses": DEV_SSO_AUTHORIZE,
            "x-fluxer-auth-dev-only": True,
        },
    },
    "/_dev/sso/token": {"post": {
        "operationId": "exchange_dev_sso_token", "tags": ["Development"], "summary": "Mock OIDC token endpoint",
        "description": DEV_SSO + "one use per code; the redirect URI, client id and S256 verifier must match. No client secret.",
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": ref("DevSsoTokenRequest")}}},
        "responses": {
            "200": {"description": "Tokens.", "content": json_body(ref("DevSsoTokenResponse"))},
            "400": {"description": "`invalid_grant` or `unsupported_grant_type`.", "content": json_body(ref("DevSsoError"))},
        },
        "x-fluxer-auth-dev-only": True,
    }},
    "/_dev/sso/userinfo": {"get": {
        "operationId": "get_dev_sso_userinfo", "tags": ["Development"], "summary": "Mock OIDC userinfo",
        "description": DEV_SSO + "`Authorization: Bearer <access token from its token endpoint>`.",
        "responses": {
            "200": {"description": "The claims.", "content": json_body(ref("DevSsoUserInfo"))},
            "401": {"description": "`invalid_token`.", "content": json_body(ref("DevSsoError"))},
        },
        "x-fluxer-auth-dev-only": True,
    }},
})

DEV_ATPROTO = ("The built-in AT Protocol network of dev mode (the `bluesky` provider): a PDS, its authorization server, a handle "
               "resolver and a PLC directory under `/_dev/atproto`, as strict as Bluesky (PAR, DPoP with nonces, PKCE S256, "
               "`private_key_jwt`). Accounts `alice.test` and `bob.test` exist; any handle typed in signs in. ")
ATPROTO_UNAVAILABLE = {"description": "The mock is not available (no public URL could be derived yet)."}
ATPROTO_OAUTH_ERROR = {"description": "An RFC 6749 §5.2 error (`invalid_request`, `invalid_client`, `invalid_grant`, "
                                      "`use_dpop_nonce`, `invalid_dpop_proof`), with `DPoP-Nonce`.",
                       "headers": {"DPoP-Nonce": {"schema": {"type": "string"}}},
                       "content": json_body(ref("DevATProtoError"))}


def dev_atproto(operation_id, summary, description, responses, **extra):
    responses = dict(responses)
    responses.setdefault("404", ATPROTO_UNAVAILABLE)
    op = {"operationId": operation_id, "tags": ["Development"], "summary": summary, "description": DEV_ATPROTO + description,
          "responses": responses, "x-fluxer-auth-dev-only": True}
    op.update(extra)
    return op


for prefix, which in [("", "mock PDS"), ("/foreign", "\"foreign\" PDS (whose authorization server is itself)")]:
    suffix = "_foreign" if prefix else ""
    PATHS["/_dev/atproto" + prefix + "/.well-known/oauth-protected-resource"] = {"get": dev_atproto(
        "get_dev_atproto_protected_resource" + suffix, "Mock " + ("foreign " if prefix else "") + "PDS resource metadata",
        "RFC 9728 metadata of the " + which + ".",
        {"200": {"description": "The metadata.", "content": json_body(ref("DevATProtoProtectedResourceMetadata"))}})}
    PATHS["/_dev/atproto" + prefix + "/.well-known/oauth-authorization-server"] = {"get": dev_atproto(
        "get_dev_atproto_authorization_server" + suffix, "Mock " + ("foreign " if prefix else "") + "authorization server metadata",
        "RFC 8414 metadata of the " + which + "'s authorization server.",
        {"200": {"description": "The metadata.", "content": json_body(ref("DevATProtoAuthorizationServerMetadata"))}})}

PATHS.update({
    "/_dev/atproto/oauth/par": {"post": dev_atproto(
        "push_dev_atproto_authorization_request", "Mock pushed authorization request",
        "RFC 9126: a DPoP proof, the client authenticated by `private_key_jwt` against its metadata document's keys, the parameters "
        "within its registration.",
        {"201": {"description": "The request URI.", "headers": {"DPoP-Nonce": {"schema": {"type": "string"}}},
                 "content": json_body(ref("DevATProtoPushedAuthorizationResponse"))},
         "400": ATPROTO_OAUTH_ERROR, "401": ATPROTO_OAUTH_ERROR},
        requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            name: {"type": "string"} for name in ["client_id", "response_type", "redirect_uri", "scope", "state", "code_challenge",
                                                  "code_challenge_method", "login_hint", "client_assertion_type", "client_assertion"]}}}}},
        parameters=[{"name": "DPoP", "in": "header", "required": True, "description": "The DPoP proof (RFC 9449).", "schema": {"type": "string"}}])},
    "/_dev/atproto/oauth/authorize": {
        "get": dev_atproto(
            "show_dev_atproto_authorize", "Mock sign-in page",
            "Only `client_id` and `request_uri` (PAR is required); then a page to pick or type a handle.",
            {"200": html("The sign-in page."), "400": html("Other parameters, or an unknown, expired or used `request_uri`.")},
            parameters=[query("client_id", "The client's metadata URL.", required=True),
                        query("request_uri", "From the pushed request.", required=True)]),
        "post": dev_atproto(
            "submit_dev_atproto_authorize", "Mock sign-in",
            "Spends the request and redirects to the client with `code`, `state` and `iss` (RFC 9207), or `error=access_denied`.",
            {"303": redirect("To the client's redirect URI."), "400": html("Incomplete form, unknown handle, or a spent `request_uri`.")},
            requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                "request_uri": {"type": "string"}, "handle": {"type": "string"}, "other_handle": {"type": "string"},
                "deny": {"type": "string", "description": "Present to refuse."}}, "required": ["request_uri"]}}}}),
    },
    "/_dev/atproto/oauth/token": {"post": dev_atproto(
        "exchange_dev_atproto_token", "Mock token endpoint",
        "The code for DPoP-bound tokens: the same DPoP key as the pushed request, PKCE S256, `private_key_jwt`; codes single use, 60 s.",
        {"200": {"description": "Tokens.", "headers": {"DPoP-Nonce": {"schema": {"type": "string"}}},
                 "content": json_body(ref("DevATProtoTokenResponse"))},
         "400": ATPROTO_OAUTH_ERROR, "401": ATPROTO_OAUTH_ERROR},
        requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            name: {"type": "string"} for name in ["grant_type", "code", "redirect_uri", "code_verifier", "client_id",
                                                  "client_assertion_type", "client_assertion"]}}}}},
        parameters=[{"name": "DPoP", "in": "header", "required": True, "description": "The DPoP proof (RFC 9449).", "schema": {"type": "string"}}])},
    "/_dev/atproto/xrpc/com.atproto.identity.resolveHandle": {"get": dev_atproto(
        "resolve_dev_atproto_handle", "Mock resolveHandle", "The handle's DID.",
        {"200": {"description": "The DID.", "content": json_body(ref("DevATProtoResolveHandleResponse"))},
         "400": {"description": "`InvalidRequest`: no handle, or an unknown one.", "content": json_body(ref("DevATProtoError"))}},
        parameters=[query("handle", "A handle, e.g. `alice.test`.", required=True)])},
    "/_dev/atproto/xrpc/com.atproto.server.getSession": {"get": dev_atproto(
        "get_dev_atproto_session", "Mock getSession",
        "`Authorization: DPoP <access token>` with a proof by the token's key (`ath`, nonce).",
        {"200": {"description": "The account.", "headers": {"DPoP-Nonce": {"schema": {"type": "string"}}},
                 "content": json_body(ref("DevATProtoSession"))},
         "401": {"description": "`invalid_token`, `use_dpop_nonce` or `invalid_dpop_proof` (also in `WWW-Authenticate`).",
                 "content": json_body(ref("DevATProtoError"))}})},
    "/_dev/atproto/plc/{did}": {"get": dev_atproto(
        "get_dev_atproto_plc_document", "Mock PLC directory", "The DID document of a known `did:plc`.",
        {"200": {"description": "The document.", "content": json_body(ref("DevATProtoDIDDocument"))},
         "404": {"description": "Not registered (or the mock unavailable).", "content": json_body(ref("DevATProtoError"))}},
        parameters=[path_parameter("did", "A `did:plc:…`.")])},
})

DEV_MODE = "dev mode"
DEV_ATPROTO_WHEN = "dev mode, with an AT Protocol provider enabled (the built-in `bluesky` when no single sign-on is configured)"
for path, item in PATHS.items():
    for op in item.values():
        if path.startswith("/_dev/"):
            op["x-fluxer-auth-dev-only"] = True
            op["x-fluxer-auth-registered-when"] = DEV_ATPROTO_WHEN if path.startswith("/_dev/atproto/") else DEV_MODE
            op["responses"].setdefault("429", response("FluxerAuthRateLimited"))

# Every JSON error an operation may answer through a shared response is in its code list.
SHARED_RESPONSE_CODES = {"FluxerAuthRateLimited": "RATE_LIMITED", "FluxerAuthServiceUnavailable": "SERVICE_UNAVAILABLE",
                         "FluxerAuthBadGateway": "SSO_PROVIDER_ERROR", "FluxerAuthUnauthorized": "UNAUTHORIZED"}
for item in PATHS.values():
    for op in item.values():
        codes = op.get("x-fluxer-auth-error-codes", [])
        for answer in op["responses"].values():
            code = SHARED_RESPONSE_CODES.get(answer.get("$ref", "").split("/")[-1])
            if code and code not in codes:
                codes.append(code)
        if codes:
            op["x-fluxer-auth-error-codes"] = codes
