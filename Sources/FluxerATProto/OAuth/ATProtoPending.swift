import FluxerCrypto
import FluxerJSON
import FoundationEssentials

/// Everything the callback needs, kept by the app between `start` and `complete`: the issuer the request went to,
/// where to redeem the code, the `state`, the PKCE verifier, the DPoP private key and last nonce, and the DID the
/// user's handle resolved to. It holds secrets (the verifier and the DPoP key): keep it server-side, bound to the
/// browser's state, never in a cookie or a URL.
public struct ATProtoPending: Sendable, Equatable {
    /// The format version written in `serialized`.
    public static let version: Int64 = 1
    /// How long a sign-in may take from `start` to `complete`, in seconds.
    public static let lifetimeSeconds: Int64 = 600
    /// The longest serialized form `init(serialized:)` reads.
    public static let maxSerializedBytes = 8 * 1024

    /// The authorization server's issuer (RFC 9207: the callback's `iss` must equal it).
    public let issuer: String
    /// The `state` sent in the pushed request.
    public let state: String
    /// The DID the user's handle (or DID) resolved to; nil when the sign-in started without an identifier.
    public let expectedDID: String?
    let tokenEndpoint: String
    let codeVerifier: String
    let dpopKeyDER: [UInt8]
    let dpopNonce: String?
    let redirectURI: String
    let createdAt: Int64

    init(issuer: String, state: String, expectedDID: String?, tokenEndpoint: String, codeVerifier: String,
         dpopKeyDER: [UInt8], dpopNonce: String?, redirectURI: String, createdAt: Int64) {
        self.issuer = issuer
        self.state = state
        self.expectedDID = expectedDID
        self.tokenEndpoint = tokenEndpoint
        self.codeVerifier = codeVerifier
        self.dpopKeyDER = dpopKeyDER
        self.dpopNonce = dpopNonce
        self.redirectURI = redirectURI
        self.createdAt = createdAt
    }

    private struct Stored: Decodable {
        var v: Int64
        var issuer: String
        var state: String
        var expected_did: String?
        var token_endpoint: String
        var code_verifier: String
        var dpop_key: String
        var dpop_nonce: String?
        var redirect_uri: String
        var created_at: Int64
    }

    /// A compact JSON object, for the app's state store.
    public var serialized: String {
        var members: [(String, JSONValue)] = [
            ("v", .int(Self.version)), ("issuer", .string(issuer)), ("state", .string(state)),
            ("token_endpoint", .string(tokenEndpoint)), ("code_verifier", .string(codeVerifier)),
            ("dpop_key", .string(Base64URL.encode(dpopKeyDER))), ("redirect_uri", .string(redirectURI)),
            ("created_at", .int(createdAt)),
        ]
        if let expectedDID { members.append(("expected_did", .string(expectedDID))) }
        if let dpopNonce { members.append(("dpop_nonce", .string(dpopNonce))) }
        return JSONValue.object(members).serialized
    }

    /// Reads `serialized`; `.invalidPending` for anything else (another version, a damaged key).
    public init(serialized: String) throws(ATProtoError) {
        let bytes = Array(serialized.utf8)
        guard bytes.count <= Self.maxSerializedBytes, StrictJSON.violation(in: bytes) == nil,
              let stored = try? JSONDecoder().decode(Stored.self, from: Data(bytes)), stored.v == Self.version,
              let der = Base64URL.decode(stored.dpop_key), P256SoftKey(privateKeyDER: der) != nil
        else { throw .invalidPending }
        self.init(issuer: stored.issuer, state: stored.state, expectedDID: stored.expected_did, tokenEndpoint: stored.token_endpoint,
                  codeVerifier: stored.code_verifier, dpopKeyDER: der, dpopNonce: stored.dpop_nonce,
                  redirectURI: stored.redirect_uri, createdAt: stored.created_at)
    }
}

/// The result of `start`: where to send the browser, and what to keep until the callback.
public struct ATProtoStart: Sendable {
    /// The authorization endpoint with only `client_id` and `request_uri` (RFC 9126 §4).
    public let authorizationURL: String
    /// The `state` to bind to the browser (the callback carries it back).
    public let state: String
    /// Keep server-side; hand back to `complete`.
    public let pending: ATProtoPending
}

/// The redirect back to the client (RFC 6749 §4.1.2, RFC 9207 §2).
public struct ATProtoCallback: Sendable, Equatable {
    /// The authorization code.
    public var code: String?
    /// The `state` echoed back.
    public var state: String?
    /// The issuer identifier (RFC 9207).
    public var iss: String?
    /// An error code instead of a code (RFC 6749 §4.1.2.1), e.g. `access_denied`.
    public var error: String?

    /// A callback from its parameters.
    public init(code: String?, state: String?, iss: String?, error: String? = nil) {
        self.code = code
        self.state = state
        self.iss = iss
        self.error = error
    }

    /// A callback from the redirect's query string; nil when it does not decode or repeats a parameter.
    public init?(query: String) {
        guard let pairs = FormEncoding.decode(query), Set(pairs.map(\.0)).count == pairs.count else { return nil }
        let value = { (name: String) in pairs.first { $0.0 == name }?.1 }
        self.init(code: value("code"), state: value("state"), iss: value("iss"), error: value("error"))
    }
}

/// A verified sign-in: the account's DID (the only stable key: never link by handle), its handle when verified,
/// its PDS and the issuer that vouched for it, with the DPoP-bound tokens.
public struct ATProtoSignIn: Sendable {
    /// The account (the token response's `sub`, verified against its DID document).
    public let did: ATProtoDID
    /// The handle, when its DNS/HTTPS record and the DID document agree; nil otherwise (`handle.invalid`).
    public let handle: ATProtoHandle?
    /// The PDS URL from the DID document.
    public let pds: String
    /// The authorization server's issuer.
    public let issuer: String
    /// The granted scope.
    public let scope: String
    /// The DPoP-bound access token.
    public let accessToken: String?
    /// The refresh token, if one was issued.
    public let refreshToken: String?
    /// Seconds until the access token expires, if stated.
    public let expiresIn: Int64?
    /// The sign-in's DPoP key: the tokens are bound to it.
    let dpopKey: P256SoftKey
}
