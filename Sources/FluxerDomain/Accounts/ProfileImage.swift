import FluxerCrypto

/// An avatar or banner as the real server's `Base64ImageType` takes it: base64, optionally as a data URI
/// (`data:image/png;base64,…`). This server keeps no image files; it checks the bytes are a PNG, JPEG, GIF or
/// WebP image within `maxBytes` and stores the hash the API shows (32 hex characters of SHA-256 of the bytes,
/// `a_`-prefixed for a GIF, as animated images are named).
public enum ProfileImage {
    /// The largest image accepted (its base64 fits well within the 1 MiB request body limit).
    public static let maxBytes = 512 * 1024

    /// What a submitted image came to.
    public enum Outcome: Sendable, Equatable {
        /// The hash to store and show.
        case hash(String)
        /// Why it was refused.
        case invalid(FieldError)
    }

    /// The image's hash, or a field error at `path`.
    public static func hash(_ value: String, path: String) -> Outcome {
        var base64 = Substring(value)
        if base64.hasPrefix("data:") {
            guard let comma = base64.firstIndex(of: ","), base64[..<comma].hasSuffix(";base64") else {
                return .invalid(FieldError(path: path, message: "Invalid image data.", code: "INVALID_IMAGE_FORMAT"))
            }
            base64 = base64[base64.index(after: comma)...]
        }
        guard !base64.isEmpty, base64.utf8.count <= (maxBytes + 2) / 3 * 4 else {
            return .invalid(FieldError(path: path, message: "Images must be at most \(maxBytes / 1024) KiB.", code: "BASE64_LENGTH_INVALID"))
        }
        guard let bytes = Base64.decode(String(base64)) ?? Base64.decode(String(base64), padded: false), bytes.count <= maxBytes else {
            return .invalid(FieldError(path: path, message: "Invalid base64 image data.", code: "INVALID_IMAGE_FORMAT"))
        }
        guard let kind = kind(of: bytes) else {
            return .invalid(FieldError(path: path, message: "Images must be PNG, JPEG, GIF or WebP.", code: "INVALID_IMAGE_FORMAT"))
        }
        let digest = Hex.encode(Array(SHA256.hash(bytes).prefix(16)))
        return .hash(kind == .gif ? "a_" + digest : digest)
    }

    enum Kind { case png, jpeg, gif, webp }

    /// The format from the file's signature.
    static func kind(of b: [UInt8]) -> Kind? {
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if b.starts(with: Array("GIF87a".utf8)) || b.starts(with: Array("GIF89a".utf8)) { return .gif }
        if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) { return .webp }
        return nil
    }
}
