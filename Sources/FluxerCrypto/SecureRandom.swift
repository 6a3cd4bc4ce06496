internal import CFluxerShim

/// Cryptographically secure randomness from libsodium's `randombytes` (the OS CSPRNG).
public enum SecureRandom {
    /// Returns `count` random bytes. `count` must not be negative.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        CryptoRuntime.initialize()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { randombytes_buf(base, count) }
            initialized = count
        }
    }

    /// Returns a uniformly distributed value in `0..<upperBound` without modulo bias.
    /// Returns 0 when `upperBound` is 0 or 1 (libsodium's `randombytes_uniform` contract).
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        CryptoRuntime.initialize()
        return randombytes_uniform(upperBound)
    }
}
