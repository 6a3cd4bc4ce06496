// libFuzzer harness for application/x-www-form-urlencoded (Sources/HTTPServer/FormURLEncoding.swift), compiled
// with that one file by `fuzz/run.sh form`. Besides "no crash, no sanitizer report":
//   1. decode(raw) never traps and yields one pair per non-empty `&`-separated segment;
//   2. percentDecode(raw) never traps and is never longer (in UTF-8, before repair) than its input;
//   3. round trip: the input cut at NUL bytes into names and values (invalid UTF-8 repaired), encoded with
//      encode(_:) and joined with `=` and `&`, decodes back to exactly those pairs;
//   4. percentDecode(encode(s)) == s for every string s, with and without plusIsSpace.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let raw = String(decoding: bytes, as: UTF8.self)

    let pairs = FormURLEncoding.decode(raw)
    let segments = raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).count
    if pairs.count != segments { fatalError("decode gave \(pairs.count) pairs for \(segments) segments") }
    _ = FormURLEncoding.percentDecode(bytes, plusIsSpace: true)
    _ = FormURLEncoding.percentDecode(bytes[...], plusIsSpace: false)

    let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    var expected: [(String, String)] = []
    var i = 0
    while i < fields.count {
        expected.append((fields[i], i + 1 < fields.count ? fields[i + 1] : ""))
        i += 2
    }
    if size == 0 { expected = [] }
    let body = expected.map { FormURLEncoding.encode($0.0) + "=" + FormURLEncoding.encode($0.1) }.joined(separator: "&")
    let decoded = FormURLEncoding.decode(body)
    if decoded.count != expected.count || zip(decoded, expected).contains(where: { $0.name != $1.0 || $0.value != $1.1 }) {
        fatalError("round trip failed: \(expected) -> \(body) -> \(decoded)")
    }
    for s in fields {
        let e = FormURLEncoding.encode(s)
        if e.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "=") }) {
            fatalError("encode left a delimiter in \(e)")
        }
        if FormURLEncoding.percentDecode(e.utf8) != s || FormURLEncoding.percentDecode(e.utf8, plusIsSpace: true) != s {
            fatalError("percentDecode(encode(\(s.debugDescription))) differs")
        }
    }
    return 0
}
