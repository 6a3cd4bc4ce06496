/// Calls `body` with a pointer that is never nil (even for an empty array) and the byte count.
///
/// Some C libraries treat a NULL key or data pointer specially even when the length is 0,
/// so an empty input is lent as a one-byte buffer with a count of 0.
func withNonNullBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawPointer, Int) -> R) -> R {
    if bytes.isEmpty {
        return [UInt8(0)].withUnsafeBytes { body($0.baseAddress!, 0) }
    }
    return bytes.withUnsafeBytes { body($0.baseAddress!, $0.count) }
}
