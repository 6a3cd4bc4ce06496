internal import CFluxerShim

/// SHA-256 (FIPS 180-4 §6.2), the shim's own implementation (SHA-NI when the CPU has it; see shim.c).
public enum SHA256 {
    /// The digest length in bytes.
    public static let digestCount = 32

    /// Returns the 32-byte SHA-256 digest of `bytes`.
    public static func hash<B: Collection>(_ bytes: B) -> [UInt8] where B.Element == UInt8 {
        if let digest = bytes.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { digest($0) }
    }

    /// Returns the 32-byte SHA-256 digest of the UTF-8 encoding of `string`.
    public static func hash(_ string: String) -> [UInt8] {
        hash(utf8: string)
    }

    /// Returns the 32-byte SHA-256 digest of the UTF-8 encoding of `text`, read in place when its storage is
    /// contiguous (native strings and their substrings): token hashing runs on every authenticated request.
    public static func hash(utf8 text: some StringProtocol) -> [UInt8] {
        if let digest = text.utf8.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return hash(Array(text.utf8))
    }

    /// `hash(utf8:)` for a substring, read in place through `withUTF8`: the generic version reaches a substring's
    /// bytes through the standard library's unspecialized slice code, about 900 instructions per call, and
    /// every token check hashes a substring of its Authorization field.
    public static func hash(utf8 text: Substring) -> [UInt8] {
        var text = text
        return text.withUTF8 { digest(UnsafeRawBufferPointer($0)) }
    }

    /// `hash(utf8:)` for a string, read in place.
    public static func hash(utf8 text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { digest(UnsafeRawBufferPointer($0)) }
    }

    private static func digest(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: digestCount) { out, initialized in
            precondition(fx_sha256(buffer.baseAddress, buffer.count, out.baseAddress) == 0, "SHA-256 failed")
            initialized = digestCount
        }
    }
}
