/// Writes bytes forward from a pointer into a buffer the caller sized beforehand: the response head and the access
/// log line are built in one scratch buffer each and appended to their destination at once, because every
/// `Array.append(contentsOf:)` costs about a hundred instructions whatever its length and a line had twenty of them.
/// No bounds checks: the caller's bound must cover everything written (each user checks it after writing, and
/// sizes with a margin for every fixed piece at its longest).
package struct ByteWriter {
    package let base: UnsafeMutablePointer<UInt8>
    package private(set) var count = 0

    // Inlinable: the access log (another module) writes a line through a dozen calls, which cost more than the
    // bytes they copy when they are calls.
    @inlinable package init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    /// What has been written.
    @inlinable package var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inlinable @inline(__always) package mutating func byte(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inlinable @inline(__always) package mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inlinable @inline(__always) package mutating func put(_ s: StaticString) {
        put(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// A string's UTF-8 (a differently named method: a literal given to `put` is then a `StaticString`, copied
    /// from the binary, rather than a `String` made for the call).
    @inlinable @inline(__always) package mutating func put(contentsOf s: String) {
        var s = s
        s.withUTF8 { put($0) }
    }

    /// `value` in decimal, zero-padded to at least `width` digits (at most 20 in all).
    @inlinable package mutating func decimal(_ value: UInt64, width: Int = 1) {
        var digits = 1
        var scale: UInt64 = 10
        while digits < 20 && value >= scale {
            digits += 1
            if scale > UInt64.max / 10 { break }
            scale *= 10
        }
        digits = min(max(digits, width), 20)
        var n = value
        var i = count + digits
        let start = count
        count = i
        repeat {
            i -= 1
            base[i] = UInt8(truncatingIfNeeded: 0x30 &+ n % 10)
            n /= 10
        } while i > start
    }
}
