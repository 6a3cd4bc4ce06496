internal import CFluxerShim

/// Authenticated symmetric encryption: XSalsa20-Poly1305 (libsodium `crypto_secretbox`)
/// with a random 24-byte nonce prepended to each ciphertext.
public struct SecretBox: Sendable {
    /// Key length in bytes.
    public static let keyCount = 32
    /// Nonce length in bytes.
    public static let nonceCount = 24
    /// Authentication tag length in bytes.
    public static let tagCount = 16

    private let key: [UInt8]

    /// Creates a box for a 32-byte key (traps on any other length).
    public init(key: [UInt8]) {
        precondition(key.count == Self.keyCount, "SecretBox key must be 32 bytes")
        self.key = key
    }

    /// Derives a 32-byte subkey as HMAC-SHA-256(masterSecret, "fluxer-auth/" + context) (RFC 2104),
    /// so that each purpose gets an independent key from one master secret.
    public static func deriveKey(from masterSecret: [UInt8], context: String) -> [UInt8] {
        HMAC.sha256(key: masterSecret, message: Array("fluxer-auth/\(context)".utf8))
    }

    /// Encrypts and authenticates `plaintext`; returns nonce (24) || tag (16) || ciphertext.
    public func seal(_ plaintext: [UInt8]) -> [UInt8] {
        let nonce = SecureRandom.bytes(Self.nonceCount)
        let boxCount = Self.tagCount + plaintext.count
        let box = [UInt8](unsafeUninitializedCapacity: boxCount) { out, initialized in
            let status = withNonNullBytes(plaintext) { message, count in
                crypto_secretbox_easy(
                    out.baseAddress!, message.assumingMemoryBound(to: UInt8.self), UInt64(count), nonce, key
                )
            }
            precondition(status == 0, "crypto_secretbox_easy failed")
            initialized = boxCount
        }
        return nonce + box
    }

    /// Verifies and decrypts output of `seal`; nil when it is too short, tampered with, or sealed
    /// under another key.
    public func open(_ sealed: [UInt8]) -> [UInt8]? {
        guard sealed.count >= Self.nonceCount + Self.tagCount else { return nil }
        CryptoRuntime.initialize()
        let nonce = Array(sealed[..<Self.nonceCount])
        let box = Array(sealed[Self.nonceCount...])
        let plainCount = box.count - Self.tagCount
        var ok = false
        let plaintext = [UInt8](unsafeUninitializedCapacity: max(plainCount, 1)) { out, initialized in
            ok = crypto_secretbox_open_easy(out.baseAddress!, box, UInt64(box.count), nonce, key) == 0
            initialized = ok ? plainCount : 0
        }
        return ok ? plaintext : nil
    }
}
