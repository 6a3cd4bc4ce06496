import FluxerCrypto

/// A credential that passed registration, ready to be stored (WebAuthn L2 §7.1 step 23).
public struct RegisteredCredential: Sendable, Equatable {
    /// The credential ID; the caller must refuse it if already registered to any user (WA-09, step 22).
    public let credentialID: [UInt8]
    /// The parsed public key.
    public let publicKey: COSEKey
    /// The COSE_Key bytes as sent by the authenticator.
    public let publicKeyCBOR: [UInt8]
    /// The initial signature counter.
    public let signCount: UInt32
    /// The authenticator model's AAGUID (16 bytes).
    public let aaguid: [UInt8]
    /// The UV flag at registration.
    public let userVerified: Bool
    /// The BE flag; it must not change in later assertions (WA-06).
    public let backupEligible: Bool
    /// The BS flag at registration.
    public let backupState: Bool
    /// The attestation format that was verified ("none" or "packed").
    public let attestationFormat: String
}

/// The relying-party checks of WebAuthn registration (§7.1) and authentication (§7.2).
///
/// Pure functions over bytes: no storage, no clock. The caller supplies the single-use challenge it
/// has just consumed (WA-02), refuses duplicate credential IDs, and persists the new sign count.
public enum WebAuthnVerifier {
    /// Upper bound on clientDataJSON; browsers send ~200 bytes.
    public static let maxClientDataBytes = 4096

    /// WebAuthn L2 §7.1 "Registering a New Credential", steps 5–21.
    public static func verifyRegistration(
        clientDataJSON: [UInt8], attestationObject: [UInt8], expectedChallenge: [UInt8], policy: WebAuthnPolicy
    ) throws(WebAuthnError) -> RegisteredCredential {
        // Steps 5–10: type, challenge, origin; tokenBinding is ignored.
        try CollectedClientData.verify(clientDataJSON, type: "webauthn.create", challenge: expectedChallenge, policy: policy)
        // Step 11.
        let clientDataHash = SHA256.hash(clientDataJSON)
        // Step 12: {fmt, attStmt, authData}; other members are ignored.
        guard let object = try? CBORDecoder.decode(attestationObject).value,
              let format = object["fmt"]?.text,
              let statement = object["attStmt"], statement.map != nil,
              let authDataBytes = object["authData"]?.bytes
        else { throw .malformedAttestationObject }
        let authData = try AuthenticatorData.parse(authDataBytes)
        // Steps 13–15 and L3's BE/BS rule.
        try checkCommon(authData, policy: policy)
        guard let credential = authData.attestedCredentialData else { throw .missingCredentialData }
        // Step 16 (WA-07).
        guard policy.algorithms.contains(credential.publicKey.algorithm) else { throw .algorithmNotAllowed }
        // Steps 18–19 (WA-08). Step 17: extension outputs are not inspected (WA-13).
        try verifyStatement(format: format, statement: statement, authData: authDataBytes,
                            clientDataHash: clientDataHash, credentialKey: credential.publicKey)
        return RegisteredCredential(
            credentialID: credential.credentialID, publicKey: credential.publicKey, publicKeyCBOR: credential.publicKeyCBOR,
            signCount: authData.signCount, aaguid: credential.aaguid, userVerified: authData.userVerified,
            backupEligible: authData.backupEligible, backupState: authData.backupState, attestationFormat: format
        )
    }

    /// WebAuthn L2 §7.2 "Verifying an Authentication Assertion", steps 9–21, and L3's BE check against the value
    /// stored at registration (WA-06). Returns the sign count to store.
    ///
    /// Call `checkCredential` first (steps 5–6). A thrown `possibleClone` is raised only after the
    /// signature verified, so it is the genuine authenticator state; record it against the credential.
    public static func verifyAssertion(
        clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], credentialPublicKey: COSEKey,
        storedSignCount: UInt32, expectedChallenge: [UInt8], policy: WebAuthnPolicy, storedBackupEligible: Bool? = nil
    ) throws(WebAuthnError) -> UInt32 {
        // Steps 9–14.
        try CollectedClientData.verify(clientDataJSON, type: "webauthn.get", challenge: expectedChallenge, policy: policy)
        let authData = try AuthenticatorData.parse(authenticatorData)
        guard authData.attestedCredentialData == nil else { throw .unexpectedCredentialData }
        // Steps 15–17 and L3's BE/BS rule.
        try checkCommon(authData, policy: policy)
        // Steps 19–20 (WA-11): sig over authenticatorData ‖ SHA-256(clientDataJSON).
        let signedData = authenticatorData + SHA256.hash(clientDataJSON)
        guard credentialPublicKey.verify(signature: signature, message: signedData) else { throw .invalidSignature }
        // WA-06 (L3 §6.1.3): BE is fixed for a credential's life; a different value is not the registered
        // authenticator's credential as registered. nil: not recorded (registered before BE was stored).
        if let storedBackupEligible, storedBackupEligible != authData.backupEligible { throw .backupEligibilityChanged }
        // Step 21 (WA-12): 0/0 means the authenticator has no counter; otherwise it must strictly increase.
        let received = authData.signCount
        if (received != 0 || storedSignCount != 0) && received <= storedSignCount {
            throw .possibleClone(stored: storedSignCount, received: received)
        }
        return received
    }

    /// WebAuthn L2 §7.2 steps 5–6 (WA-10): the credential is one that was offered, and belongs to the user.
    ///
    /// - Parameters:
    ///   - allowCredentials: the IDs sent in the request options; empty for a usernameless ceremony.
    ///   - userHandle: `response.userHandle`, if the client sent one.
    ///   - ownerHandle: the user handle of the account that owns `credentialID`.
    public static func checkCredential(
        _ credentialID: [UInt8], allowCredentials: [[UInt8]], userHandle: [UInt8]?, ownerHandle: [UInt8]
    ) throws(WebAuthnError) {
        if allowCredentials.isEmpty {
            // Usernameless: the user handle is the only link to an account, so it is required.
            guard let userHandle, userHandle == ownerHandle else { throw .userHandleMismatch }
        } else {
            guard allowCredentials.contains(credentialID) else { throw .credentialNotAllowed }
            if let userHandle, userHandle != ownerHandle { throw .userHandleMismatch }
        }
    }

    /// rpIdHash (WA-04), UP and UV (WA-05), BE/BS consistency (WA-06).
    private static func checkCommon(_ authData: AuthenticatorData, policy: WebAuthnPolicy) throws(WebAuthnError) {
        guard authData.rpIDHash == SHA256.hash(policy.rpID) else { throw .rpIDHashMismatch }
        guard authData.userPresent else { throw .userNotPresent }
        guard authData.userVerified || !policy.requireUserVerification else { throw .userNotVerified }
        guard authData.backupEligible || !authData.backupState else { throw .invalidBackupFlags }
    }

    /// WebAuthn §8.7 "None" and §8.2 "Packed" (self attestation only).
    private static func verifyStatement(
        format: String, statement: CBORValue, authData: [UInt8], clientDataHash: [UInt8], credentialKey: COSEKey
    ) throws(WebAuthnError) {
        switch format {
        case "none":
            guard statement.map?.isEmpty == true else { throw .invalidAttestationStatement }
        case "packed":
            // Full attestation needs certificate-path validation against trust anchors we do not keep.
            guard statement["x5c"] == nil else { throw .attestationCertificatesUnsupported }
            guard let alg = statement["alg"]?.int, let sig = statement["sig"]?.bytes, alg == credentialKey.algorithm else {
                throw .invalidAttestationStatement
            }
            guard credentialKey.verify(signature: sig, message: authData + clientDataHash) else { throw .invalidSignature }
        default:
            throw .unsupportedAttestationFormat
        }
    }
}
