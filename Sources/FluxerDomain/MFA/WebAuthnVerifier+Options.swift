import FluxerCrypto
import FluxerJSON

extension WebAuthnVerifier {
    /// Ceremony timeout sent to the client, and the lifetime a stored challenge should have (WA-02).
    public static let timeoutMilliseconds: Int64 = 300_000
    /// Challenge size: §13.4.3 asks for at least 16 random bytes.
    public static let challengeBytes = 32

    /// A fresh random challenge for one ceremony.
    public static func makeChallenge() -> [UInt8] {
        SecureRandom.bytes(challengeBytes)
    }

    /// `PublicKeyCredentialCreationOptionsJSON` (WebAuthn L3 §5.4, §5.1.10) for `navigator.credentials.create`.
    ///
    /// - Parameters:
    ///   - userID: the opaque user handle (≤ 64 bytes, no personal data; §5.4.3).
    ///   - excludeCredentials: IDs the user already registered, so the same authenticator is not added twice.
    public static func creationOptions(
        policy: WebAuthnPolicy, rpName: String, userID: [UInt8], userName: String, userDisplayName: String,
        challenge: [UInt8], excludeCredentials: [[UInt8]]
    ) -> JSONValue {
        .object([
            ("rp", ["id": .string(policy.rpID), "name": .string(rpName)]),
            ("user", [
                "id": .string(Base64URL.encode(userID)), "name": .string(userName), "displayName": .string(userDisplayName),
            ]),
            ("challenge", .string(Base64URL.encode(challenge))),
            ("pubKeyCredParams", .array(policy.algorithms.map { ["type": "public-key", "alg": .int(Int64($0))] })),
            ("timeout", .int(timeoutMilliseconds)),
            ("excludeCredentials", descriptors(excludeCredentials)),
            // A discoverable credential when the authenticator can make one, so the key also serves for
            // passwordless sign-in (`/auth/webauthn/*`); security keys without resident storage still register.
            ("authenticatorSelection", .object([
                ("residentKey", "preferred"), ("requireResidentKey", .bool(false)), ("userVerification", userVerification(policy)),
            ])),
            ("attestation", "none"),
        ])
    }

    /// `PublicKeyCredentialRequestOptionsJSON` (WebAuthn L3 §5.5, §5.1.11) for `navigator.credentials.get`.
    ///
    /// An empty `allowCredentials` asks for a discoverable credential (usernameless).
    public static func requestOptions(policy: WebAuthnPolicy, challenge: [UInt8], allowCredentials: [[UInt8]]) -> JSONValue {
        .object([
            ("challenge", .string(Base64URL.encode(challenge))),
            ("timeout", .int(timeoutMilliseconds)),
            ("rpId", .string(policy.rpID)),
            ("allowCredentials", descriptors(allowCredentials)),
            ("userVerification", userVerification(policy)),
        ])
    }

    private static func descriptors(_ ids: [[UInt8]]) -> JSONValue {
        .array(ids.map { ["type": "public-key", "id": .string(Base64URL.encode($0))] })
    }

    private static func userVerification(_ policy: WebAuthnPolicy) -> JSONValue {
        policy.requireUserVerification ? "required" : "preferred"
    }
}
