// libFuzzer harness for bot tokens (Sources/FluxerAPI/Applications/BotToken.swift), compiled by
// `fuzz/run.sh bottoken` with the FluxerCrypto files verify/mint need (HMAC, SHA-256, constant-time compare,
// Base64URL, SecureRandom) and the product's own C shim (Sources/CFluxerShim/shim.c, linked with -lcrypto
// -lsodium …), so the HMAC is the shim's own SHA-256 code, exactly as in the server. BotToken.swift's `import FluxerCrypto` line is
// dropped in a generated copy (everything is one module here); nothing else is changed.
// Properties besides "no crash, no sanitizer report":
//   1. verify(raw input) never traps, and never accepts (the fuzzer cannot forge HMAC-SHA256);
//   2. a token minted for a fuzz-chosen bot id and timestamp verifies to exactly those values and key id,
//      under the active key and after rotation (old key still listed, new one active);
//   3. that token with any one fuzz-chosen edit (replace, insert or delete one byte) is refused, unless the
//      edit gave back the same string; so is the token checked against a ring without its key.

let keyA = [UInt8](repeating: 0xA5, count: 32)
let keyB = [UInt8](repeating: 0x5A, count: 32)
let ringA = BotTokenKeyRing(keys: [1: keyA], activeKeyID: 1)
let ringAB = BotTokenKeyRing(keys: [1: keyA, 2: keyB], activeKeyID: 2)
let ringB = BotTokenKeyRing(keys: [2: keyB], activeKeyID: 2)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let raw = String(decoding: bytes, as: UTF8.self)
    if BotToken.verify(raw[...], keys: ringAB) != nil { fatalError("a fuzzed token verified: \(raw.debugDescription)") }

    guard size >= 19 else { return 0 }
    var id: UInt64 = 0
    var created: UInt64 = 0
    for b in bytes[0..<8] { id = id << 8 | UInt64(b) }
    for b in bytes[8..<16] { created = created << 8 | UInt64(b) }
    id = max(id, 1)
    let old = BotToken.mint(botID: id, createdAt: Int64(bitPattern: created), keys: ringA)
    let new = BotToken.mint(botID: id, createdAt: Int64(bitPattern: created), keys: ringAB)
    let want = BotToken.Verified(botID: id, createdAt: Int64(bitPattern: created), keyID: 1)
    guard BotToken.verify(old[...], keys: ringA) == want, BotToken.verify(old[...], keys: ringAB) == want,
          BotToken.verify(new[...], keys: ringAB) == BotToken.Verified(botID: id, createdAt: Int64(bitPattern: created), keyID: 2)
    else { fatalError("a minted token did not verify to its own values: \(old) \(new)") }
    if BotToken.verify(old[...], keys: ringB) != nil { fatalError("verified under a ring without its key") }

    var edited = Array(old.utf8)
    let position = Int(bytes[16]) << 8 | Int(bytes[17])
    let byte = bytes[18]
    switch byte % 3 {
    case 0: edited[position % edited.count] = byte
    case 1: edited.insert(byte, at: position % (edited.count + 1))
    default: edited.remove(at: position % edited.count)
    }
    let mutated = String(decoding: edited, as: UTF8.self)
    if mutated != old, BotToken.verify(mutated[...], keys: ringAB) != nil {
        fatalError("an edited token verified: \(old) -> \(mutated.debugDescription)")
    }
    return 0
}
