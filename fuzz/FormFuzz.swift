// libFuzzer harness for application/x-www-form-urlencoded (Sources/HTTPServer/FormURLEncoding.swift), compiled
// with that one file by `fuzz/run.sh form`. Besides "no crash, no sanitizer report":
//   1. decode(raw) never traps and yields one pair per non-empty `&`-separated segment;
//   2. percentDecode(raw) never traps and is never longer (in UTF-8, before repair) than its input;
//   3. round trip: the input cut at NUL bytes into names and values (invalid UTF-8 repaired), encoded with
//      encode(_:) and joined with `=` and `&`, decodes back to exactly those pairs;
//   4. percentDecode(encode(s)) == s for every string s, with and without plusIsSpace;
//   5. multipart/form-data (Sources/HTTPServer/MultipartFormData.swift): decode(raw) with boundary "x" never
//      traps, reads at most maxParts fields, each with a non-empty name; and the fields cut from the input at NUL
//      bytes (names made non-empty and CR/LF/quote-free), written as a multipart body, read back exactly.

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
    if let parts = MultipartFormData.decode(bytes, boundary: "x") {
        if parts.count > MultipartFormData.maxParts || parts.contains(where: { $0.name.isEmpty }) { fatalError("multipart gave \(parts)") }
    }
    let clean: (String) -> String = { String($0.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "\"" }) }
    let multipartFields = expected.prefix(MultipartFormData.maxParts).map { ("n" + clean($0.0), $0.1) }
        .filter { !$0.1.contains("\r\n--fx") && $0.0.utf8.count <= 256 }
    var multipart = ""
    for (name, value) in multipartFields { multipart += "--fx\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n" }
    multipart += "--fx--"
    if let read = MultipartFormData.decode(Array(multipart.utf8), boundary: "fx") {
        if read.count != multipartFields.count || zip(read, multipartFields).contains(where: { $0.name != $1.0 || $0.value != $1.1 }) {
            fatalError("multipart round trip failed: \(multipartFields) -> \(read)")
        }
    } else if multipartFields.allSatisfy({ !$0.1.hasSuffix("\r") }) {
        fatalError("multipart refused its own encoding: \(multipartFields)")
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
