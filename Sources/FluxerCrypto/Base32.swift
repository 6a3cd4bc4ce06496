/// Base32 (RFC 4648 §6), used for TOTP shared secrets (RFC 6238 key URIs).
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Maps an ASCII byte to its 5-bit value (either letter case), or 0xFF when not in the alphabet.
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            values[Int(character)] = UInt8(value)
            if character >= UInt8(ascii: "A") { values[Int(character | 0x20)] = UInt8(value) }
        }
        return values
    }()

    /// Encodes `bytes` with the upper-case RFC 4648 §6 alphabet and no '=' padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int(buffer >> UInt32(bits) & 0x1F)])
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 { out.append(alphabet[Int(buffer << UInt32(5 - bits) & 0x1F)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base32, or returns nil.
    ///
    /// Accepts either letter case and either no padding or exactly the canonical '=' padding to a
    /// multiple of 8. Rejects everything else: whitespace, '-', other characters, impossible lengths
    /// (`count % 8` of 1, 3 or 6) and nonzero unused trailing bits (RFC 4648 §3.5).
    public static func decode(_ string: String) -> [UInt8]? {
        var input = Array(string.utf8)
        var padding = 0
        while input.last == UInt8(ascii: "=") {
            input.removeLast()
            padding += 1
        }
        let tail = input.count % 8
        let canonicalPadding = [0: 0, 2: 6, 4: 4, 5: 3, 7: 1]
        guard let expected = canonicalPadding[tail] else { return nil }
        guard padding == 0 || padding == expected else { return nil }

        var out: [UInt8] = []
        out.reserveCapacity(input.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for character in input {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        guard buffer == 0 else { return nil }
        return out
    }
}
