/// The shared strict codec behind `Base64` (RFC 4648 §4) and `Base64URL` (RFC 4648 §5).
struct Base64Codec: Sendable {
    /// The 64 alphabet characters in value order.
    let alphabet: [UInt8]
    /// Maps an ASCII byte to its 6-bit value, or 0xFF when it is not in the alphabet.
    let values: [UInt8]

    init(_ alphabet: String) {
        self.alphabet = Array(alphabet.utf8)
        precondition(self.alphabet.count == 64)
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in self.alphabet.enumerated() { values[Int(character)] = UInt8(value) }
        self.values = values
    }

    static let standard = Base64Codec("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    static let url = Base64Codec("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    func encode(_ bytes: [UInt8], padded: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            let emitted = min(remaining, 3) + 1
            for k in 0..<emitted { out.append(alphabet[Int(group >> UInt32(18 - 6 * k) & 0x3F)]) }
            if padded { for _ in emitted..<4 { out.append(UInt8(ascii: "=")) } }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict decode: only alphabet characters; with `padded`, exactly the canonical '=' padding,
    /// without it no '=' at all; unused trailing bits must be zero (RFC 4648 §3.5).
    func decode(_ string: String, padded: Bool) -> [UInt8]? {
        var input = Array(string.utf8)
        if padded {
            guard input.count % 4 == 0 else { return nil }
            for _ in 0..<2 where input.last == UInt8(ascii: "=") { input.removeLast() }
        }
        let capacity = input.count / 4 * 3 + 2
        return input.withUnsafeBufferPointer { source in
            var ok = true
            let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                if let n = decode(source, into: buffer) { count = n } else { ok = false; count = 0 }
            }
            return ok ? out : nil
        }
    }

    /// Strict unpadded decode of `input` into `out`, which must hold `input.count / 4 * 3 + 2` bytes; the number
    /// of bytes written, or nil. No allocation: hot paths (bot-token checks) decode into a stack buffer.
    func decode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        let tail = input.count % 4
        guard tail != 1, out.count >= input.count / 4 * 3 + (tail == 0 ? 0 : tail - 1) else { return nil }
        return values.withUnsafeBufferPointer { values -> Int? in
            var written = 0
            var index = 0
            while index < input.count {
                let chunk = min(4, input.count - index)
                var group: UInt32 = 0
                for k in 0..<4 {
                    var value: UInt8 = 0
                    if k < chunk {
                        value = values[Int(input[index + k])]
                        guard value != 0xFF else { return nil }
                    }
                    group = group << 6 | UInt32(value)
                }
                out[written] = UInt8(truncatingIfNeeded: group >> 16)
                written += 1
                if chunk > 2 { out[written] = UInt8(truncatingIfNeeded: group >> 8); written += 1 }
                if chunk > 3 { out[written] = UInt8(truncatingIfNeeded: group); written += 1 }
                // Non-canonical: bits below the last emitted byte must be zero.
                if chunk == 2, group & 0xFFFF != 0 { return nil }
                if chunk == 3, group & 0xFF != 0 { return nil }
                index += 4
            }
            return written
        }
    }
}
