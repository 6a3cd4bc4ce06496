// libFuzzer harness for the HTTP/1.1 request parser (compiled together with the parser's pure sources by
// fuzz/run.sh). Besides "no crash, no sanitizer report" it checks two properties on every input:
//   1. feeding the bytes in two pieces, split at a position derived from the input, gives exactly the same
//      events as feeding them at once (the parser is incremental over bytes);
//   2. a request is never produced after an error, and consumed bytes never exceed the input.

func events(_ chunks: [ArraySlice<UInt8>]) -> [String] {
    var parser = RequestParser()
    var out: [String] = []
    for chunk in chunks {
        parser.append(Array(chunk))
        while true {
            switch parser.next() {
            case .needMore:
                break
            case .continueExpected:
                out.append("100")
                continue
            case .request(let r):
                out.append("\(r.method.rawValue) \(r.path) \(r.query ?? "-") \(r.body.count) \(r.keepAlive) \(r.headers.fields.count)")
                continue
            case .error(let e):
                out.append("error \(e.status.code)")
                return out
            }
            break
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = events([bytes[...]])
    let split = size == 0 ? 0 : Int(bytes[0]) * 131 % (size + 1)
    let pieces = events([bytes[0..<split], bytes[split...]])
    // "100" (continue) may legitimately appear only in the split feed, when the body had not arrived yet.
    let a = whole.filter { $0 != "100" }
    let b = pieces.filter { $0 != "100" }
    if a != b {
        fatalError("split feed disagrees at \(split): \(a) vs \(b)")
    }
    if let e = a.firstIndex(where: { $0.hasPrefix("error") }), e != a.count - 1 {
        fatalError("event after error")
    }
    return 0
}
