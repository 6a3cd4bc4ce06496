internal import CFluxerShim

/// HMAC (RFC 2104) over SHA-256 (the shim's own SHA-256) and SHA-1 (OpenSSL's, for TOTP only).
public enum HMAC {
    /// HMAC-SHA-256 (RFC 4231); returns 32 bytes.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(count: 32, key: key, message: message, fx_hmac_sha256)
    }

    /// HMAC-SHA-1 (RFC 2202), used only for TOTP (RFC 6238); returns 20 bytes.
    public static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(count: 20, key: key, message: message, fx_hmac_sha1)
    }

    private typealias Primitive = (
        UnsafeRawPointer?, Int, UnsafeRawPointer?, Int, UnsafeMutablePointer<UInt8>?
    ) -> Int32

    private static func mac(count: Int, key: [UInt8], message: [UInt8], _ primitive: Primitive) -> [UInt8] {
        withNonNullBytes(key) { keyPointer, keyCount in
            withNonNullBytes(message) { messagePointer, messageCount in
                [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                    let status = primitive(keyPointer, keyCount, messagePointer, messageCount, out.baseAddress)
                    precondition(status == 0, "HMAC failed")
                    initialized = count
                }
            }
        }
    }
}
