internal import CFluxerShim

/// An HMAC-SHA256 key with its inner and outer hash states computed once (RFC 2104 §4's "precomputed" form),
/// for keys used on every request (bot-token signatures): each MAC then costs the message's blocks and one block
/// for the outer hash, instead of a full key setup. Results equal `HMAC.sha256(key:message:)`.
public struct HMACKey: Sendable {
    /// Owns the shim's keyed states (wiped when freed); they are only read after init (each MAC copies them), so
    /// sharing one between threads is safe.
    private final class Storage: @unchecked Sendable {
        let key: OpaquePointer
        init(_ key: OpaquePointer) { self.key = key }
        deinit { fx_hmac_sha256_key_free(key) }
    }

    private let storage: Storage

    /// Prepares `key` (non-empty).
    public init(_ key: [UInt8]) {
        precondition(!key.isEmpty, "HMACKey needs a non-empty key")
        CryptoRuntime.initialize()
        guard let prepared = key.withUnsafeBufferPointer({ fx_hmac_sha256_key_new($0.baseAddress, $0.count) }) else {
            fatalError("HMAC-SHA256 key setup failed (out of memory)")
        }
        storage = Storage(prepared)
    }

    /// HMAC-SHA256 of `message` (32 bytes).
    public func mac<C: Collection>(_ message: C) -> [UInt8] where C.Element == UInt8 {
        let compute: (UnsafeBufferPointer<UInt8>) -> [UInt8] = { m in
            [UInt8](unsafeUninitializedCapacity: 32) { out, count in
                mac(UnsafeRawBufferPointer(m), UnsafeRawBufferPointer(start: nil, count: 0), into: UnsafeMutableRawBufferPointer(out))
                count = 32
            }
        }
        if let result = message.withContiguousStorageIfAvailable(compute) { return result }
        return Array(message).withUnsafeBufferPointer(compute)
    }

    /// HMAC-SHA256 of `first` followed by `second`, written to the first 32 bytes of `out` (no allocation).
    public func mac(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 32, "HMAC-SHA256 output needs 32 bytes")
        let status = fx_hmac_sha256_keyed(storage.key, first.baseAddress, first.count, second.baseAddress, second.count,
                                          out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        // The shim refuses only NULL pointers, which these buffers never give for a non-zero count.
        precondition(status == 0, "HMAC-SHA256 failed")
    }
}
