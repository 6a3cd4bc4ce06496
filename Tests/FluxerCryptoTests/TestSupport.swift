import CFluxerShim
import Synchronization
import Testing
#if os(Linux)
import Glibc
#endif

/// Decodes a hex string used by test vectors (spaces allowed for readability).
func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.utf8.filter { $0 != UInt8(ascii: " ") })
    precondition(digits.count % 2 == 0)
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not hex")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// The UTF-8 bytes of a string.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

// MARK: - SHA-256's two compression functions, and OpenSSL as the reference

/// The shim's two SHA-256 compression functions (Sources/CFluxerShim/shim.c). Tests that must run on one of them
/// take it as an argument and call `run`.
enum CompressionPath: String, CustomTestStringConvertible, Sendable {
    case shaNI, portable

    /// Whether the shim's CPUID check found the SHA extensions.
    static let cpuHasSHANI: Bool = lock.withLock { _ in
        fx_sha256_force_portable(0)
        return fx_sha256_uses_sha_ni() == 1
    }

    /// The paths this CPU can run: both on x86 with SHA-NI, the portable one elsewhere.
    static let available: [CompressionPath] = cpuHasSHANI ? [.shaNI, .portable] : [.portable]

    /// The switch is process-wide: tests that set it take turns. Other tests may run on either path meanwhile,
    /// which changes nothing for them (the digests are the same).
    private static let lock = Mutex(())

    var testDescription: String { rawValue }

    /// Runs `body` with every SHA-256 of the process on this path, then restores the automatic choice.
    func run(_ body: () -> Void) {
        Self.lock.withLock { _ in
            fx_sha256_force_portable(self == .portable ? 1 : 0)
            #expect(fx_sha256_uses_sha_ni() == (self == .shaNI ? 1 : 0), "compression path \(self)")
            body()
            fx_sha256_force_portable(0)
        }
    }
}

/// OpenSSL's SHA-256 (EVP_Digest), the reference our own code is compared with.
func opensslSHA256(_ message: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    let status = message.withUnsafeBytes { m in
        out.withUnsafeMutableBufferPointer { EVP_Digest(m.baseAddress, m.count, $0.baseAddress, &length, EVP_sha256(), nil) }
    }
    precondition(status == 1 && length == 32, "OpenSSL SHA-256 failed")
    return out
}

/// OpenSSL's HMAC-SHA-256 (the one-shot HMAC), the reference for ours.
func opensslHMACSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    let keyBytes = key + [0]  // an address to pass even for an empty key, never NULL
    let result = keyBytes.withUnsafeBytes { k in
        message.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer {
                HMAC(EVP_sha256(), k.baseAddress, Int32(key.count), m.baseAddress, m.count, $0.baseAddress, &length)
            }
        }
    }
    precondition(result != nil && length == 32, "OpenSSL HMAC-SHA-256 failed")
    return out
}

/// SplitMix64: reproducible pseudo-random test data from a seed that failure messages quote.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// The shim's precomputed-key HMAC-SHA-256 of a || b, called directly: unlike `HMACKey` it also takes an empty key.
func shimKeyedHMACSHA256(key: [UInt8], _ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
    let prepared = key.withUnsafeBytes { fx_hmac_sha256_key_new($0.baseAddress, $0.count) }
    defer { fx_hmac_sha256_key_free(prepared) }
    var out = [UInt8](repeating: 0, count: 32)
    let status = a.withUnsafeBytes { a in
        b.withUnsafeBytes { b in
            out.withUnsafeMutableBufferPointer {
                fx_hmac_sha256_keyed(prepared, a.baseAddress, a.count, b.baseAddress, b.count, $0.baseAddress)
            }
        }
    }
    precondition(prepared != nil && status == 0, "fx_hmac_sha256_keyed failed")
    return out
}

#if os(Linux)
/// The text of /proc/cpuinfo, read to its end in pieces (its size reads as 0).
func readCPUInfo() -> String? {
    guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
    defer { fclose(file) }
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count == 0 { return String(decoding: text, as: UTF8.self) }
        text += chunk[..<count]
    }
}
#endif
