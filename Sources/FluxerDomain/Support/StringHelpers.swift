/// ASCII string helpers shared by the config reader and the validators.
extension StringProtocol {
    package func trimmingASCIIWhitespace() -> String {
        let u = Array(utf8)
        var a = 0
        var b = u.count
        while a < b && (u[a] == 0x20 || u[a] == 0x09 || u[a] == 0x0D) { a += 1 }
        while b > a && (u[b - 1] == 0x20 || u[b - 1] == 0x09 || u[b - 1] == 0x0D) { b -= 1 }
        return String(decoding: u[a..<b], as: UTF8.self)
    }

    package func replacingUnderscores() -> String {
        String(decoding: utf8.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
    }
}
