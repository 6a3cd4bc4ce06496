/// Why a WebAuthn registration or assertion is refused (security checklist §1.13, WA-01…WA-12).
///
/// Every case means "no credential stored / not authenticated"; the route renders a 400 and logs
/// `reason`. `possibleClone` additionally asks the caller to record the event against the credential.
public enum WebAuthnError: Error, Equatable, Sendable {
    /// clientDataJSON is larger than `WebAuthnVerifier.maxClientDataBytes`.
    case clientDataTooLarge
    /// clientDataJSON is not a JSON object with string `type`, `challenge` and `origin`.
    case malformedClientData
    /// WA-01: `type` is not the ceremony's ("webauthn.create" / "webauthn.get").
    case wrongCeremonyType
    /// WA-02: `challenge` is not the server's single-use challenge.
    case challengeMismatch
    /// WA-03: `origin` is not one of the configured origins.
    case originNotAllowed
    /// WA-03: `crossOrigin: true` or a `topOrigin` (an iframe ceremony); not supported.
    case crossOriginNotAllowed
    /// The attestation object is not CBOR `{fmt: text, attStmt: map, authData: bytes}`.
    case malformedAttestationObject
    /// The authenticator data is truncated, oversized, or has bytes its flags do not account for.
    case malformedAuthenticatorData
    /// WA-04: `rpIdHash` is not SHA-256 of the RP ID.
    case rpIDHashMismatch
    /// WA-05: the UP flag is clear.
    case userNotPresent
    /// WA-05: the UV flag is clear while the policy requires user verification.
    case userNotVerified
    /// WA-06: BS (backed up) is set while BE (backup eligible) is clear.
    case invalidBackupFlags
    /// WA-06: an assertion's BE (backup eligible) differs from the one the credential was registered with.
    case backupEligibilityChanged
    /// Registration without attested credential data (the AT flag clear).
    case missingCredentialData
    /// An assertion that carries attested credential data (AT set), which §6.1 reserves for registration.
    case unexpectedCredentialData
    /// WA-09: the credential ID is empty or longer than `AuthenticatorData.maxCredentialIDBytes`.
    case invalidCredentialIDLength
    /// WA-07: the credential public key is not a valid ES256, EdDSA or RS256 COSE key.
    case unsupportedPublicKey
    /// WA-07: the key's algorithm is not in the policy's `pubKeyCredParams`.
    case algorithmNotAllowed
    /// WA-08: an attestation format other than "none" and "packed".
    case unsupportedAttestationFormat
    /// WA-08: a "none" statement that is not empty, or a "packed" statement without `alg`/`sig`
    /// or with an `alg` different from the credential key's.
    case invalidAttestationStatement
    /// WA-08: "packed" with an `x5c` certificate chain (full attestation); not supported.
    case attestationCertificatesUnsupported
    /// WA-11 (and packed self attestation): the signature does not verify with the credential key.
    case invalidSignature
    /// WA-12: the sign count did not increase; the authenticator may have been cloned.
    case possibleClone(stored: UInt32, received: UInt32)
    /// WA-10: the credential is not in `allowCredentials`.
    case credentialNotAllowed
    /// WA-10: the assertion's `userHandle` is missing or not the credential owner's.
    case userHandleMismatch

    /// A short, log-safe description (no key material, no challenge).
    public var reason: String {
        switch self {
        case .clientDataTooLarge: "clientDataJSON too large"
        case .malformedClientData: "clientDataJSON malformed"
        case .wrongCeremonyType: "clientData type mismatch"
        case .challengeMismatch: "challenge mismatch"
        case .originNotAllowed: "origin not allowed"
        case .crossOriginNotAllowed: "cross-origin ceremony not allowed"
        case .malformedAttestationObject: "attestation object malformed"
        case .malformedAuthenticatorData: "authenticator data malformed"
        case .rpIDHashMismatch: "rpIdHash mismatch"
        case .userNotPresent: "user presence flag not set"
        case .userNotVerified: "user verification required but flag not set"
        case .invalidBackupFlags: "backup state set without backup eligibility"
        case .backupEligibilityChanged: "backup eligibility differs from registration"
        case .missingCredentialData: "attested credential data missing"
        case .unexpectedCredentialData: "attested credential data in an assertion"
        case .invalidCredentialIDLength: "credential ID length invalid"
        case .unsupportedPublicKey: "credential public key unsupported"
        case .algorithmNotAllowed: "credential algorithm not allowed"
        case .unsupportedAttestationFormat: "attestation format unsupported"
        case .invalidAttestationStatement: "attestation statement invalid"
        case .attestationCertificatesUnsupported: "attestation certificates unsupported"
        case .invalidSignature: "signature invalid"
        case let .possibleClone(stored, received): "sign count did not increase (stored \(stored), received \(received)): possible clone"
        case .credentialNotAllowed: "credential not allowed"
        case .userHandleMismatch: "user handle mismatch"
        }
    }
}
