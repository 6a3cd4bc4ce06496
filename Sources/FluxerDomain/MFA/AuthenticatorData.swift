import FluxerCrypto

/// Attested credential data (WebAuthn §6.5.1): present in registration authenticator data.
public struct AttestedCredentialData: Sendable, Equatable {
    /// The authenticator model's AAGUID (16 bytes; all zero for "none" attestation).
    public let aaguid: [UInt8]
    /// The credential ID (1…1023 bytes).
    public let credentialID: [UInt8]
    /// The credential public key.
    public let publicKey: COSEKey
    /// The COSE_Key bytes exactly as the authenticator sent them, for storage.
    public let publicKeyCBOR: [UInt8]
}

/// Authenticator data (WebAuthn §6.1), parsed strictly: every byte must be accounted for by the flags.
public struct AuthenticatorData: Sendable, Equatable {
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    public let rpIDHash: [UInt8]
    /// The flags byte (§6.1 table).
    public let flags: UInt8
    /// The signature counter (big-endian on the wire).
    public let signCount: UInt32
    /// Present when the AT flag is set.
    public let attestedCredentialData: AttestedCredentialData?
    /// The extension outputs map, when the ED flag is set. Never used for decisions (WA-13).
    public let extensions: CBORValue?

    /// WA-09: WebAuthn L3 §7.1 "Verify that the credentialId is ≤ 1023 bytes".
    public static let maxCredentialIDBytes = 1023
    /// Upper bound on the whole structure; real authenticator data is a few hundred bytes.
    public static let maxBytes = 16 * 1024

    /// Bit 0, user present.
    public var userPresent: Bool { flags & 0x01 != 0 }
    /// Bit 2, user verified.
    public var userVerified: Bool { flags & 0x04 != 0 }
    /// Bit 3, backup eligible (L3).
    public var backupEligible: Bool { flags & 0x08 != 0 }
    /// Bit 4, backed up (L3).
    public var backupState: Bool { flags & 0x10 != 0 }

    /// Parses `bytes`: rpIdHash (32) ‖ flags (1) ‖ signCount (4) ‖ [attested credential data] ‖ [extensions].
    public static func parse(_ bytes: [UInt8]) throws(WebAuthnError) -> AuthenticatorData {
        guard bytes.count >= 37, bytes.count <= maxBytes else { throw .malformedAuthenticatorData }
        let flags = bytes[32]
        let signCount = bytes[33..<37].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var offset = 37
        var attested: AttestedCredentialData?
        if flags & 0x40 != 0 {
            attested = try parseAttestedCredentialData(bytes, offset: &offset)
        }
        var extensions: CBORValue?
        if flags & 0x80 != 0 {
            guard let (value, consumed) = try? CBORDecoder.decode(Array(bytes[offset...])), value.map != nil else {
                throw .malformedAuthenticatorData
            }
            extensions = value
            offset += consumed
        }
        guard offset == bytes.count else { throw .malformedAuthenticatorData }
        return AuthenticatorData(rpIDHash: Array(bytes[0..<32]), flags: flags, signCount: signCount,
                                 attestedCredentialData: attested, extensions: extensions)
    }

    /// §6.5.1: aaguid (16) ‖ credentialIdLength (2, big-endian) ‖ credentialId ‖ credentialPublicKey (CBOR).
    private static func parseAttestedCredentialData(_ bytes: [UInt8], offset: inout Int) throws(WebAuthnError) -> AttestedCredentialData {
        guard bytes.count - offset >= 18 else { throw .malformedAuthenticatorData }
        let aaguid = Array(bytes[offset..<offset + 16])
        let idLength = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
        offset += 18
        // The limit is checked before the length is compared with the input, so a 1024-byte ID is
        // always reported as too long rather than as truncated data.
        guard idLength >= 1, idLength <= maxCredentialIDBytes else { throw .invalidCredentialIDLength }
        guard bytes.count - offset >= idLength else { throw .malformedAuthenticatorData }
        let credentialID = Array(bytes[offset..<offset + idLength])
        offset += idLength
        // The key is followed by extensions when ED is set, so decode only the first item here.
        guard let (keyValue, consumed) = try? CBORDecoder.decode(Array(bytes[offset...]), allowTrailing: true) else {
            throw .malformedAuthenticatorData
        }
        let publicKey: COSEKey
        do {
            publicKey = try COSEKey.parse(keyValue)
        } catch {
            throw .unsupportedPublicKey
        }
        let keyBytes = Array(bytes[offset..<offset + consumed])
        offset += consumed
        return AttestedCredentialData(aaguid: aaguid, credentialID: credentialID, publicKey: publicKey, publicKeyCBOR: keyBytes)
    }
}
