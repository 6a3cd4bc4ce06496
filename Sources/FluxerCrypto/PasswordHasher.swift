internal import CFluxerShim

/// Argon2id password hashing (RFC 9106) via libsodium, producing PHC-format strings
/// (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`).
public struct PasswordHasher: Sendable {
    /// Why `hash(_:)` failed.
    public enum Failure: Error, Sendable, Equatable {
        /// libsodium could not compute the hash (typically the memory could not be allocated).
        case hashingFailed
    }

    /// Argon2id iterations (`t`).
    public let opsLimit: UInt64
    /// Argon2id memory in bytes (`m` is this divided by 1024).
    public let memLimitBytes: Int

    /// Creates a hasher with explicit cost parameters; they must lie within libsodium's Argon2id limits.
    public init(opsLimit: UInt64, memLimitBytes: Int) {
        precondition(opsLimit >= UInt64(crypto_pwhash_argon2id_opslimit_min()), "opsLimit below libsodium minimum")
        precondition(opsLimit <= UInt64(crypto_pwhash_argon2id_opslimit_max()), "opsLimit above libsodium maximum")
        precondition(memLimitBytes >= Int(crypto_pwhash_argon2id_memlimit_min()), "memLimitBytes below minimum")
        precondition(UInt(memLimitBytes) <= UInt(crypto_pwhash_argon2id_memlimit_max()), "memLimitBytes above maximum")
        self.opsLimit = opsLimit
        self.memLimitBytes = memLimitBytes
    }

    /// Production cost: t=3, m=64 MiB, p=1 (RFC 9106 §4, second recommended option).
    public static let production = PasswordHasher(opsLimit: 3, memLimitBytes: 64 * 1024 * 1024)

    /// Minimal cost for tests only: t=1, m=8 KiB (`crypto_pwhash_MEMLIMIT_MIN`).
    public static let fast = PasswordHasher(opsLimit: 1, memLimitBytes: Int(crypto_pwhash_argon2id_memlimit_min()))

    /// Hashes the UTF-8 bytes of `password` (NUL bytes included) with a fresh random salt.
    public func hash(_ password: String) throws(Failure) -> String {
        CryptoRuntime.initialize()
        let passwordBytes = Array(password.utf8)
        let capacity = Int(crypto_pwhash_argon2id_strbytes())
        var out = [CChar](repeating: 0, count: capacity)
        let status = withNonNullBytes(passwordBytes) { pointer, count in
            crypto_pwhash_str_alg(
                &out, pointer.assumingMemoryBound(to: CChar.self), UInt64(count),
                opsLimit, memLimitBytes, crypto_pwhash_argon2id_alg_argon2id13()
            )
        }
        guard status == 0 else { throw .hashingFailed }
        let length = out.firstIndex(of: 0) ?? capacity
        return String(decoding: out[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `password` matches the PHC string `encoded`. Malformed or unsupported strings,
    /// and strings containing NUL, return false.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard Self.isPlausible(encoded) else { return false }
        CryptoRuntime.initialize()
        let passwordBytes = Array(password.utf8)
        return encoded.withCString { encodedPointer in
            withNonNullBytes(passwordBytes) { pointer, count in
                crypto_pwhash_str_verify(encodedPointer, pointer.assumingMemoryBound(to: CChar.self), UInt64(count)) == 0
            }
        }
    }

    /// True when `encoded` is not an Argon2id string with exactly this hasher's parameters
    /// (including when it is malformed or uses another algorithm).
    public func needsRehash(_ encoded: String) -> Bool {
        guard Self.isPlausible(encoded), encoded.hasPrefix("$argon2id$") else { return true }
        CryptoRuntime.initialize()
        return encoded.withCString { crypto_pwhash_str_needs_rehash($0, opsLimit, memLimitBytes) } != 0
    }

    /// Rejects strings a C API would silently truncate (embedded NUL) or that exceed libsodium's buffer.
    private static func isPlausible(_ encoded: String) -> Bool {
        !encoded.utf8.contains(0) && encoded.utf8.count < Int(crypto_pwhash_argon2id_strbytes())
    }
}
