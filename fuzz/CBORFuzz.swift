// libFuzzer harness for the WebAuthn CBOR decoder (Sources/FluxerCrypto/CBOR{Value,Decoder,Encoder}.swift), compiled
// with those three files by `fuzz/run.sh cbor`. Besides "no crash, no sanitizer report, no timeout":
//   1. bounded: `consumed` never exceeds the input; with allowTrailing=false it equals the input length;
//      nesting never exceeds CBORDecoder.maxDepth, no container exceeds maxItems, no string maxStringBytes;
//   2. trailing bytes: decoding with allowTrailing=true succeeds whenever the strict decode does, with the same
//      value, and the strict decode of exactly the consumed prefix gives that value too;
//   3. re-encoding: decode(encode(v)) == v, and encode is a fixed point (encode(decode(encode(v))) == encode(v)).

func check(_ value: CBORValue, depth: Int) {
    switch value {
    case .array(let items):
        if depth >= CBORDecoder.maxDepth || items.count > CBORDecoder.maxItems { fatalError("array bound broken") }
        for i in items { check(i, depth: depth + 1) }
    case .map(let entries):
        if depth >= CBORDecoder.maxDepth || entries.count > CBORDecoder.maxItems { fatalError("map bound broken") }
        for (k, v) in entries { check(k, depth: depth + 1); check(v, depth: depth + 1) }
    case .tagged(_, let inner):
        if depth >= CBORDecoder.maxDepth { fatalError("tag depth bound broken") }
        check(inner, depth: depth + 1)
    case .bytes(let b):
        if b.count > CBORDecoder.maxStringBytes { fatalError("byte string bound broken") }
    case .text(let t):
        if t.utf8.count > CBORDecoder.maxStringBytes { fatalError("text bound broken") }
    default:
        break
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let strict = try? CBORDecoder.decode(bytes)
    let lenient = try? CBORDecoder.decode(bytes, allowTrailing: true)
    if let strict {
        if strict.consumed != size { fatalError("strict decode consumed \(strict.consumed) of \(size)") }
        guard let lenient, lenient.value == strict.value, lenient.consumed == size else {
            fatalError("allowTrailing disagrees with the strict decode")
        }
    }
    guard let (value, consumed) = lenient else { return 0 }
    if consumed < 1 || consumed > size { fatalError("consumed \(consumed) of \(size)") }
    check(value, depth: 0)
    guard let prefix = try? CBORDecoder.decode(Array(bytes[..<consumed])), prefix.value == value else {
        fatalError("the consumed prefix does not decode alone to the same value")
    }
    let encoded = CBOREncoder.encode(value)
    let again: CBORValue
    do {
        again = try CBORDecoder.decode(encoded).value
    } catch {
        fatalError("re-encoded value does not decode: \(error) for \(value)")
    }
    if again != value { fatalError("re-encoding changed the value: \(value) -> \(again)") }
    if CBOREncoder.encode(again) != encoded { fatalError("encode is not a fixed point") }
    return 0
}
