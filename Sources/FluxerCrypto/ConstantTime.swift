internal import CFluxerShim

/// Comparisons whose running time does not depend on where two secrets differ.
public enum ConstantTime {
    /// True when `a` and `b` are byte-for-byte equal.
    ///
    /// Lengths are not secret: inputs of different lengths return false without reading content.
    /// Equal-length inputs are compared with `sodium_memcmp`, which never exits early.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        CryptoRuntime.initialize()
        return withNonNullBytes(a) { pa, count in
            withNonNullBytes(b) { pb, _ in sodium_memcmp(pa, pb, count) == 0 }
        }
    }

    /// True when the UTF-8 encodings of `a` and `b` are equal (no Unicode normalisation).
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }

    /// True when the two buffers are byte-for-byte equal (lengths are not secret).
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        CryptoRuntime.initialize()
        return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }
}
