import FluxerCrypto

/// Lifetimes (DESIGN): code 10 min, access 7 days, refresh 30 days, each capped by the grant's own lifetime.
package enum OAuthLifetime {
    package static let code: Int64 = 10 * 60_000
    package static let access: Int64 = 604_800_000
    package static let refresh: Int64 = 30 * 86_400_000
    /// A grant (refresh-token family) ends 180 days after the code redemption that created it, however often it
    /// is refreshed (RT-06, `oauth.grant_lifetime`): the cadence at which a browser session must sign in again
    /// (`security.session_lifetime`), so an application's access never outlasts the sign-in it needs.
    package static let defaultGrant: Int64 = 180 * 86_400_000
}

/// Codes, access and refresh tokens: 256 random bits, unpadded base64url (43 characters); only SHA-256 stored.
package enum OAuthSecret {
    package static func generate() -> String { Base64URL.encode(SecureRandom.bytes(32)) }
    /// SHA-256 of a value (a form's code or token), read in place: concrete `String` and `Substring` overloads, not
    /// a generic `StringProtocol` one, whose slice path cost ~14k instructions per refresh rotation.
    package static func hash(_ value: String) -> [UInt8] { SHA256.hash(utf8: value) }
    /// `hash` for the substring of an Authorization field, hashed in place.
    package static func hash(_ value: Substring) -> [UInt8] { SHA256.hash(utf8: value) }
    /// Whether a value could be one of ours (shape check before hashing).
    package static func isWellFormed(_ value: String) -> Bool { isWellFormed(value[...]) }

    /// `isWellFormed` for the substring of an Authorization field, read in place (`withUTF8`, not the generic
    /// path, which costs more than the check): a Bearer check runs this for every request.
    package static func isWellFormed(_ value: Substring) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            guard bytes.count == 43 else { return false }
            for byte in bytes where !isURLSafe(byte) { return false }
            return true
        }
    }

    /// `[0-9A-Za-z_-]`.
    @inline(__always) private static func isURLSafe(_ byte: UInt8) -> Bool {
        (byte &- 0x30) < 10 || ((byte | 0x20) &- 0x61) < 26 || byte == 0x2D || byte == 0x5F
    }
}
