import FluxerCrypto

/// Desktop handoff codes (the real server's `DesktopHandoffService`): 8 characters from an alphabet without the
/// look-alikes 0/O, 1/I/L, shown as `XXXX-XXXX` for a person to type, accepted without the dash and in any case.
/// 31^8 ≈ 2^39.6 codes, each live for 5 minutes, polled only from the client that asked for it and completed
/// within per-client and per-user attempt limits: guessing one is out of reach.
public enum HandoffCode {
    /// The characters a code is made of.
    public static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789".utf8)
    /// Characters in a code (without the dash).
    public static let length = 8
    /// How long a code lives, from its creation (real server: 5 minutes); completing it does not extend it.
    public static let lifetime: Int64 = 5 * 60_000
    /// The longest text looked at as a code: anything longer is refused before any work.
    public static let maxInputBytes = 32

    /// A new code, `XXXX-XXXX`.
    public static func generate() -> String {
        let chars = (0..<length).map { _ in alphabet[Int(SecureRandom.uniform(UInt32(alphabet.count)))] }
        return String(decoding: chars[0..<4], as: UTF8.self) + "-" + String(decoding: chars[4...], as: UTF8.self)
    }

    /// The code a person typed, in its canonical form (upper case, no dashes or spaces), or nil when it cannot
    /// be one of ours.
    public static func normalize(_ text: String) -> String? {
        guard text.utf8.count <= maxInputBytes else { return nil }
        let plain = text.utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            .map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
        guard plain.count == length, plain.allSatisfy(alphabet.contains) else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }
}
