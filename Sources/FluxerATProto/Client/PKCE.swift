import FluxerCrypto

/// PKCE (RFC 7636) with the S256 method, the only one atproto allows.
enum PKCE {
    /// A verifier of 32 random bytes: 43 base64url characters, inside §4.1's 43–128 `unreserved` characters.
    static func makeVerifier(_ environment: ATProtoEnvironment) -> String {
        environment.randomToken(bytes: 32)
    }

    /// `BASE64URL(SHA256(ASCII(code_verifier)))` (§4.2).
    static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(verifier))
    }
}
