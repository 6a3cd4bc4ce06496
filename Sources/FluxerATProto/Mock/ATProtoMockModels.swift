import FluxerCrypto
import FluxerJSON

/// One account the mock knows: its handle, DID and PDS, and the email `getSession` reports.
public struct ATProtoMockAccount: Sendable, Equatable {
    /// The current handle (lower-case).
    public var handle: String
    /// The DID (`did:plc:` or `did:web:`), stable across handle changes.
    public var did: String
    /// The PDS URL its DID document names.
    public var pds: String
    /// The account's email, if any.
    public var email: String?
    /// Whether the PDS reports the email confirmed.
    public var emailConfirmed: Bool

    /// An account from its parts.
    public init(handle: String, did: String, pds: String, email: String? = nil, emailConfirmed: Bool = true) {
        self.handle = handle
        self.did = did
        self.pds = pds
        self.email = email
        self.emailConfirmed = emailConfirmed
    }
}

/// The endpoints of the mock, for fault injection and the request log.
public enum ATProtoMockEndpoint: String, Sendable, Hashable, CaseIterable {
    /// `/.well-known/oauth-protected-resource` (both PDSes).
    case protectedResource = "protected_resource"
    /// `/.well-known/oauth-authorization-server` (both).
    case authorizationServerMetadata = "authorization_server_metadata"
    /// `POST /oauth/par`.
    case pushedAuthorization = "par"
    /// `GET` and `POST /oauth/authorize`.
    case authorize
    /// `POST /oauth/token`.
    case token
    /// `GET /plc/<did>`.
    case plc
    /// `com.atproto.identity.resolveHandle`.
    case resolveHandle = "resolve_handle"
    /// `com.atproto.server.getSession`.
    case getSession = "get_session"
    /// `https://<host>/.well-known/did.json` for `did:web` accounts.
    case didWeb = "did_web"
    /// `https://<handle>/.well-known/atproto-did`.
    case atprotoDID = "atproto_did"
}

/// Misbehaviour on demand, so tests can drive the client into each refusal. The default is a correct server.
public struct ATProtoMockFaults: Sendable {
    /// The `iss` put in the redirect instead of the issuer (RFC 9207 mix-up).
    public var callbackIssuer: String?
    /// The `sub` put in the token response instead of the account's DID.
    public var tokenSubject: String?
    /// The `token_type` instead of `DPoP`.
    public var tokenType: String?
    /// The `scope` instead of the one granted.
    public var tokenScope: String?
    /// Endpoints that answer this status (with an empty JSON object) before doing anything else.
    public var failingEndpoints: [ATProtoMockEndpoint: Int] = [:]
    /// Every DPoP proof is refused with `use_dpop_nonce`, whatever nonce it carries.
    public var alwaysDemandNonce = false
    /// Whether proofs need a server nonce at all (the atproto profile requires them).
    public var requiresNonce = true
    /// Endpoints whose response body is padded past `ATProtoJSON.maxDocumentBytes`.
    public var oversizedEndpoints: Set<ATProtoMockEndpoint> = []
    /// Members replacing (or added to) the authorization server metadata.
    public var metadataOverrides: [String: JSONValue] = [:]
    /// Metadata members left out.
    public var metadataOmissions: Set<String> = []

    /// A correct server.
    public init() {}
}

/// A client the mock accepts: from its metadata document and JWKS.
struct MockClient: Sendable {
    let clientID: String
    let redirectURIs: [String]
    let scopes: Set<String>
    let keys: [String: COSEKey]
}

/// A pushed authorization request (RFC 9126 §2.2) waiting for the user.
struct MockPushedRequest: Sendable {
    let clientID: String
    let redirectURI: String
    let scope: String
    let state: String
    let codeChallenge: String
    let loginHint: String?
    let dpopJKT: String
    let expiresAt: Int64
    var used = false
}

/// An authorization code (RFC 6749 §4.1.2) bound to the PAR's DPoP key.
struct MockCode: Sendable {
    let clientID: String
    let redirectURI: String
    let codeChallenge: String
    let dpopJKT: String
    let did: String
    let scope: String
    let expiresAt: Int64
    var used = false
    var accessTokens: [String] = []
}

/// An access token bound to a DPoP key (RFC 9449 §6).
struct MockToken: Sendable {
    let did: String
    let dpopJKT: String
    let scope: String
    let expiresAt: Int64
}

/// Everything the mock remembers, behind one lock.
struct MockState: Sendable {
    var accounts: [ATProtoMockAccount] = []
    var faults = ATProtoMockFaults()
    var clients: [String: MockClient] = [:]
    var requests: [String: MockPushedRequest] = [:]
    var codes: [String: MockCode] = [:]
    var tokens: [String: MockToken] = [:]
    /// Proof and assertion `jti`s seen, with when they may be forgotten.
    var seenJTIs: [String: Int64] = [:]
    var nonce = ""
    var previousNonce = ""
    var nonceIssuedAt: Int64 = 0
    var log: [String] = []

    /// The most requests `log` keeps (a development server runs for days).
    static let maxLogEntries = 1000

    /// Forgets expired requests, codes and tokens, so a long-running development server stays small.
    mutating func prune(now: Int64) {
        requests = requests.filter { $0.value.expiresAt >= now }
        codes = codes.filter { $0.value.expiresAt >= now }
        tokens = tokens.filter { $0.value.expiresAt >= now }
    }

    mutating func record(_ line: String) {
        if log.count >= Self.maxLogEntries { log.removeFirst(log.count - Self.maxLogEntries + 1) }
        log.append(line)
    }

    func account(handle: String) -> ATProtoMockAccount? { accounts.first { $0.handle == handle } }
    func account(did: String) -> ATProtoMockAccount? { accounts.first { $0.did == did } }

    /// Records `jti` until `until`; false when it was already seen (a replay). Forgets expired entries.
    mutating func remember(jti: String, until: Int64, now: Int64) -> Bool {
        if seenJTIs.count > 1024 { seenJTIs = seenJTIs.filter { $0.value >= now } }
        if let expiry = seenJTIs[jti], expiry >= now { return false }
        seenJTIs[jti] = until
        return true
    }
}
