internal import CFluxerShim

/// An HMAC-SHA256 key with its inner and outer hash states computed once (RFC 2104 §4's "precomputed" form),
/// for keys used on every request (bot-token signatures): each MAC then costs a state copy and two hash
/// finishes instead of a full key setup. Results equal `HMAC.sha256(key:message:)`.
public struct HMACKey: Sendable {
    private let state: crypto_auth_hmacsha256_state

    /// Prepares `key` (non-empty).
    public init(_ key: [UInt8]) {
        precondition(!key.isEmpty, "HMACKey needs a non-empty key")
        CryptoRuntime.initialize()
        var state = crypto_auth_hmacsha256_state()
        key.withUnsafeBufferPointer { k in
            _ = crypto_auth_hmacsha256_init(&state, k.baseAddress!, k.count)
        }
        self.state = state
    }

    /// HMAC-SHA256 of `message`.
    public func mac<C: Collection>(_ message: C) -> [UInt8] where C.Element == UInt8 {
        var s = state
        let update: (UnsafeBufferPointer<UInt8>) -> Void = { m in
            guard let base = m.baseAddress, !m.isEmpty else { return }
            _ = crypto_auth_hmacsha256_update(&s, base, UInt64(m.count))
        }
        if message.withContiguousStorageIfAvailable(update) == nil { Array(message).withUnsafeBufferPointer(update) }
        return [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            _ = crypto_auth_hmacsha256_final(&s, out.baseAddress!)
            count = 32
        }
    }

    /// HMAC-SHA256 of `first ‖ second` written to `out` (32 bytes), with no allocation: for the bot-token
    /// check that runs on the event loop for every forged token.
    public func mac(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 32, "HMAC-SHA256 output needs 32 bytes")
        var s = state
        if let base = first.baseAddress, first.count > 0 {
            _ = crypto_auth_hmacsha256_update(&s, base.assumingMemoryBound(to: UInt8.self), UInt64(first.count))
        }
        if let base = second.baseAddress, second.count > 0 {
            _ = crypto_auth_hmacsha256_update(&s, base.assumingMemoryBound(to: UInt8.self), UInt64(second.count))
        }
        _ = crypto_auth_hmacsha256_final(&s, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }
}
