#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import FluxerCrypto

/// Time, randomness and key generation, injected so tests are deterministic (STYLE.md rule 7).
public struct ATProtoEnvironment: Sendable {
    /// Seconds since the Unix epoch.
    public var now: @Sendable () -> Int64
    /// `count` cryptographically secure random bytes.
    public var randomBytes: @Sendable (Int) -> [UInt8]
    /// A fresh DPoP key pair (RFC 9449 §2: one per sign-in).
    public var makeDPoPKey: @Sendable () -> P256SoftKey

    /// An environment from its parts.
    public init(now: @escaping @Sendable () -> Int64, randomBytes: @escaping @Sendable (Int) -> [UInt8] = { SecureRandom.bytes($0) },
                makeDPoPKey: @escaping @Sendable () -> P256SoftKey = { P256SoftKey() }) {
        self.now = now
        self.randomBytes = randomBytes
        self.makeDPoPKey = makeDPoPKey
    }

    /// The system clock, the OS CSPRNG and OpenSSL key generation.
    public static let system = ATProtoEnvironment(now: { Int64(time(nil)) })

    /// 256 random bits, base64url: `state`, `jti`s, PKCE verifiers.
    func randomToken(bytes count: Int = 32) -> String {
        Base64URL.encode(randomBytes(count))
    }
}
