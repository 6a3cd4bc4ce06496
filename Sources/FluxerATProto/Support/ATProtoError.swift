/// The outbound exchange an upstream failure happened in; it names the step in logs and audit rows.
public enum ATProtoStep: String, Sendable, Equatable {
    /// Handle → DID (DNS TXT, `/.well-known/atproto-did`, or `com.atproto.identity.resolveHandle`).
    case resolveHandle = "resolve_handle"
    /// DID → DID document (PLC directory or `did:web`).
    case resolveDID = "resolve_did"
    /// The PDS's `/.well-known/oauth-protected-resource` (RFC 9728).
    case protectedResource = "protected_resource"
    /// The authorization server's `/.well-known/oauth-authorization-server` (RFC 8414).
    case authorizationServer = "authorization_server"
    /// The pushed authorization request (RFC 9126).
    case pushedAuthorization = "pushed_authorization"
    /// The token request (RFC 6749 §4.1.3).
    case token
    /// `com.atproto.server.getSession` on the PDS.
    case session
}

/// What is wrong with an authorization server's (or a protected resource's) metadata, per the atproto OAuth
/// specification, "Authorization Server Metadata" and "Resource Server Metadata".
public enum ATProtoMetadataProblem: String, Sendable, Equatable {
    /// The metadata's `issuer` is not the issuer it was fetched for (RFC 8414 §3.3).
    case issuerMismatch = "issuer_mismatch"
    /// An issuer that is not an https origin (a path, a query, plain http outside development).
    case issuerNotOrigin = "issuer_not_origin"
    /// `authorization_response_iss_parameter_supported` is not true (RFC 9207).
    case issNotSupported = "iss_parameter_not_supported"
    /// `require_pushed_authorization_requests` is not true (RFC 9126 §5).
    case parNotRequired = "par_not_required"
    /// No usable `pushed_authorization_request_endpoint`.
    case parEndpointMissing = "par_endpoint_missing"
    /// The authorization or token endpoint is not an allowed URL.
    case endpointInvalid = "endpoint_invalid"
    /// `dpop_signing_alg_values_supported` lacks ES256 (RFC 9449 §5.1).
    case dpopES256Missing = "dpop_es256_missing"
    /// `token_endpoint_auth_methods_supported` lacks `private_key_jwt`.
    case privateKeyJWTMissing = "private_key_jwt_missing"
    /// `token_endpoint_auth_signing_alg_values_supported` lacks ES256.
    case assertionES256Missing = "assertion_es256_missing"
    /// `client_id_metadata_document_supported` is not true.
    case clientIDMetadataUnsupported = "client_id_metadata_unsupported"
    /// `scopes_supported` lacks `atproto`.
    case atprotoScopeMissing = "atproto_scope_missing"
    /// `response_types_supported` lacks `code`.
    case codeResponseMissing = "code_response_missing"
    /// `code_challenge_methods_supported` lacks S256 (RFC 7636).
    case pkceS256Missing = "pkce_s256_missing"
    /// The protected resource names no authorization server (RFC 9728 §2).
    case authorizationServersMissing = "authorization_servers_missing"
    /// The protected resource metadata is about another resource (RFC 9728 §3.3).
    case resourceMismatch = "resource_mismatch"
}

/// Every way the AT Protocol sign-in can fail, in three kinds the app maps to responses (`kind`). No case carries
/// a token, a code, a key or upstream text; `reason` is a stable short string for audit rows and error bodies.
public enum ATProtoError: Error, Sendable, Equatable {
    // MARK: The user's input (400)

    /// Not a handle or a DID (atproto Handle and DID specs).
    case invalidIdentifier
    /// No DID found for the handle by any method.
    case handleNotResolved
    /// The DID has no document (PLC 404/410, `did:web` unreachable or 404).
    case didNotFound
    /// The handle's DID document does not claim the handle back (`alsoKnownAs`).
    case handleNotVerified
    /// The DID document names no usable `#atproto_pds` service.
    case noPDS
    /// The pending state handed to `complete` does not decode.
    case invalidPending

    // MARK: Upstream (502 SSO_PROVIDER_ERROR)

    /// The transport failed.
    case transport(ATProtoStep, ATProtoTransportError)
    /// An unexpected HTTP status.
    case badStatus(ATProtoStep, Int)
    /// The body is not the JSON document the step expects.
    case malformed(ATProtoStep)
    /// The body is over the step's size limit.
    case oversized(ATProtoStep)
    /// The authorization server or protected resource metadata breaks the atproto profile.
    case invalidMetadata(ATProtoMetadataProblem)
    /// The server asked for a new DPoP nonce again after the one retry RFC 9449 §8 allows.
    case dpopNonceRetryFailed(ATProtoStep)
    /// The server answered an OAuth error (RFC 6749 §5.2) other than `invalid_grant`; `code` is the error code
    /// when it is a plain token (`[a-z_]`, ≤ 64), else `other`.
    case oauthError(ATProtoStep, code: String)

    // MARK: The callback is refused (400 and an audit row)

    /// The authorization server returned an error instead of a code (the user declined, RFC 6749 §4.1.2.1).
    case authorizationDenied
    /// `iss` is missing or not the issuer the request went to (RFC 9207 §2.4).
    case issuerMismatch
    /// `state` is missing or not the one sent (RFC 6749 §10.12).
    case stateMismatch
    /// The pending state is older than `ATProtoPending.lifetimeSeconds`.
    case pendingExpired
    /// The token endpoint refused the code (`invalid_grant`: spent, expired, or not ours).
    case grantRefused
    /// `token_type` is not `DPoP` (atproto OAuth, "Tokens and Session Lifetime").
    case tokenTypeNotDPoP
    /// `sub` is missing or not a DID.
    case subjectNotDID
    /// The granted `scope` lacks `atproto`.
    case scopeLacksATProto
    /// `sub` is not the DID the handle resolved to.
    case subjectMismatch
    /// `sub`'s identity could not be resolved to a PDS.
    case subjectNotResolvable
    /// `sub`'s PDS names another authorization server than the one that issued the token (atproto OAuth,
    /// "Identity Authentication").
    case subjectIssuerMismatch

    /// How the app should answer.
    public enum Kind: Sendable, Equatable {
        /// 400: the identifier (or pending state) given is unusable.
        case badInput
        /// 502 `SSO_PROVIDER_ERROR`: an upstream service failed or broke the protocol.
        case upstream
        /// 400 with an audit row: the callback or its result is refused; no session.
        case refused
    }

    /// The kind of failure.
    public var kind: Kind {
        switch self {
        case .invalidIdentifier, .handleNotResolved, .didNotFound, .handleNotVerified, .noPDS, .invalidPending:
            .badInput
        case .transport, .badStatus, .malformed, .oversized, .invalidMetadata, .dpopNonceRetryFailed, .oauthError:
            .upstream
        case .authorizationDenied, .issuerMismatch, .stateMismatch, .pendingExpired, .grantRefused, .tokenTypeNotDPoP,
             .subjectNotDID, .scopeLacksATProto, .subjectMismatch, .subjectNotResolvable, .subjectIssuerMismatch:
            .refused
        }
    }

    /// A stable short reason (`snake_case`), safe for clients and audit rows.
    public var reason: String {
        switch self {
        case .invalidIdentifier: "invalid_identifier"
        case .handleNotResolved: "handle_not_resolved"
        case .didNotFound: "did_not_found"
        case .handleNotVerified: "handle_not_verified"
        case .noPDS: "no_pds"
        case .invalidPending: "invalid_pending"
        case .transport(_, .timedOut): "upstream_timeout"
        case .transport(_, .tooLarge): "upstream_oversized"
        case .transport(_, .addressNotAllowed): "upstream_address_not_allowed"
        case .transport(_, .unreachable): "upstream_unreachable"
        case .badStatus: "upstream_status"
        case .malformed: "upstream_malformed"
        case .oversized: "upstream_oversized"
        case .invalidMetadata: "upstream_metadata_invalid"
        case .dpopNonceRetryFailed: "upstream_dpop_nonce"
        case .oauthError: "upstream_oauth_error"
        case .authorizationDenied: "authorization_denied"
        case .issuerMismatch: "iss_mismatch"
        case .stateMismatch: "state_mismatch"
        case .pendingExpired: "pending_expired"
        case .grantRefused: "grant_refused"
        case .tokenTypeNotDPoP: "token_type_not_dpop"
        case .subjectNotDID: "sub_not_did"
        case .scopeLacksATProto: "scope_lacks_atproto"
        case .subjectMismatch: "sub_mismatch"
        case .subjectNotResolvable: "sub_not_resolvable"
        case .subjectIssuerMismatch: "sub_issuer_mismatch"
        }
    }

    /// The upstream step, when the failure is an upstream one.
    public var step: ATProtoStep? {
        switch self {
        case let .transport(step, _), let .badStatus(step, _), let .malformed(step), let .oversized(step),
             let .dpopNonceRetryFailed(step), let .oauthError(step, _):
            step
        case let .invalidMetadata(problem):
            problem == .resourceMismatch || problem == .authorizationServersMissing ? .protectedResource : .authorizationServer
        default: nil
        }
    }
}

extension ATProtoError: CustomStringConvertible {
    /// For logs: the reason, the step and the status or metadata problem; never a secret or upstream text.
    public var description: String {
        switch self {
        case let .badStatus(step, status): "\(reason) (\(step.rawValue), HTTP \(status))"
        case let .invalidMetadata(problem): "\(reason) (\(problem.rawValue))"
        case let .oauthError(step, code): "\(reason) (\(step.rawValue), \(code))"
        default: step.map { "\(reason) (\($0.rawValue))" } ?? reason
        }
    }
}
