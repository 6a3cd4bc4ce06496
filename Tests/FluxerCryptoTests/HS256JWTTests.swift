import FluxerCrypto
import Testing

private let key = bytes("fluxer-interop-test-key-32-bytes!")
private let claims = bytes(#"{"sub":"1234567890","mfa":true,"exp":1700000000}"#)

/// Produced at test-writing time by Python's hmac/hashlib/base64 (not by this code), with `key` and
/// `claims` above: proves interoperability with an independent implementation.
private let pythonToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibWZhIjp0cnVlLCJleHAiOjE3MDAwMDAwMDB9"
    + ".L_PWhq8gVJHtEpBjudFGMypVvyrNNgH_MKC4YERGLhU"

/// A token with any header, correctly signed with `signingKey`, so only the header check can refuse it.
private func forge(header: String, payload: [UInt8] = claims, signingKey: [UInt8] = key) -> String {
    let input = Base64URL.encode(bytes(header)) + "." + Base64URL.encode(payload)
    return input + "." + Base64URL.encode(HMAC.sha256(key: signingKey, message: bytes(input)))
}

/// Replaces part `index` of a compact token.
private func replacing(part index: Int, of token: String, with text: String) -> String {
    var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    parts[index] = text
    return parts.joined(separator: ".")
}

@Test func sign_matchesPythonReference() {
    #expect(HS256JWT.sign(payload: claims, key: key) == pythonToken)
}

@Test func verify_acceptsPythonToken() {
    #expect(HS256JWT.verify(pythonToken, key: key) == claims)
}

@Test func signVerify_roundTrips() {
    for payload in [[], claims, SecureRandom.bytes(1), SecureRandom.bytes(500)] {
        let token = HS256JWT.sign(payload: payload, key: key)
        #expect(token.hasPrefix("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."))
        #expect(HS256JWT.verify(token, key: key) == payload)
    }
}

@Test func verify_refusesWrongKey() {
    #expect(HS256JWT.verify(pythonToken, key: bytes("fluxer-interop-test-key-32-bytes?")) == nil)
    #expect(HS256JWT.verify(pythonToken, key: key + [1]) == nil)
    // Not refused, by HMAC's design (RFC 2104 §2 zero-pads short keys): `key + [0]` is the same key.
    #expect(HS256JWT.verify(pythonToken, key: key + [0]) == claims)
}

@Test func verify_refusesEveryFlippedCharacter() {
    // Changing any single character of header, payload or signature must break the token.
    let token = Array(pythonToken.utf8)
    for index in token.indices where token[index] != UInt8(ascii: ".") {
        var tampered = token
        tampered[index] = tampered[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(HS256JWT.verify(String(decoding: tampered, as: UTF8.self), key: key) == nil, "at \(index)")
    }
}

@Test func verify_refusesTamperedPayload() {
    let other = Base64URL.encode(bytes(#"{"sub":"1","mfa":true,"exp":1700000000}"#))
    #expect(HS256JWT.verify(replacing(part: 1, of: pythonToken, with: other), key: key) == nil)
}

@Test func verify_refusesTamperedSignature() {
    var signature = HMAC.sha256(key: key, message: bytes("x"))
    #expect(HS256JWT.verify(replacing(part: 2, of: pythonToken, with: Base64URL.encode(signature)), key: key) == nil)
    signature = Array(HS256JWT.sign(payload: claims, key: key).split(separator: ".")[2].utf8)
    // A truncated signature (first 16 bytes) or an empty one.
    let truncated = Base64URL.encode(Array(Base64URL.decode(String(decoding: signature, as: UTF8.self))!.prefix(16)))
    #expect(HS256JWT.verify(replacing(part: 2, of: pythonToken, with: truncated), key: key) == nil)
    #expect(HS256JWT.verify(replacing(part: 2, of: pythonToken, with: ""), key: key) == nil)
}

@Test func verify_refusesAlgNone() {
    let header = #"{"alg":"none","typ":"JWT"}"#
    let unsigned = Base64URL.encode(bytes(header)) + "." + Base64URL.encode(claims) + "."
    #expect(HS256JWT.verify(unsigned, key: key) == nil)
    #expect(HS256JWT.verify(forge(header: header), key: key) == nil)
}

@Test func verify_refusesOtherHeaders() {
    let headers = [
        #"{"alg":"HS512","typ":"JWT"}"#, #"{"alg":"RS256","typ":"JWT"}"#, #"{"alg":"hs256","typ":"JWT"}"#,
        #"{"typ":"JWT","alg":"HS256"}"#, #"{"alg":"HS256"}"#, #"{"alg":"HS256","typ":"JWT","kid":"1"}"#,
        #"{"alg":"HS256","typ":"JWT"} "#, #"{ "alg":"HS256","typ":"JWT"}"#, "", "null",
    ]
    for header in headers {
        #expect(HS256JWT.verify(forge(header: header), key: key) == nil, "\(header)")
    }
    // The control: the same forging with our exact header is accepted.
    #expect(HS256JWT.verify(forge(header: #"{"alg":"HS256","typ":"JWT"}"#), key: key) == claims)
}

@Test func verify_refusesMissingAndExtraParts() {
    let parts = pythonToken.split(separator: ".").map(String.init)
    let malformed = [
        "", ".", "..", "...", parts[0], parts[0] + "." + parts[1], parts[0] + "." + parts[1] + ".",
        "." + parts[1] + "." + parts[2], pythonToken + ".", pythonToken + "." + parts[2], "." + pythonToken,
        parts[0] + ".." + parts[1] + "." + parts[2],
    ]
    for token in malformed {
        #expect(HS256JWT.verify(token, key: key) == nil, "\(token)")
    }
}

@Test func verify_refusesPaddingAndForeignCharacters() {
    // The payload encodes to 64 characters (no padding needed); the signature, 32 bytes, needs one '='.
    #expect(HS256JWT.verify(pythonToken + "=", key: key) == nil)
    let padded = replacing(part: 0, of: pythonToken, with: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + "==")
    #expect(HS256JWT.verify(padded, key: key) == nil)
    for bad in [" " + pythonToken, pythonToken + " ", pythonToken + "\n",
                pythonToken.replacingFirst("_", with: "/"), "+" + pythonToken.dropFirst()] {
        #expect(HS256JWT.verify(bad, key: key) == nil, "\(bad.debugDescription)")
    }
}

@Test func verify_sizeLimit() {
    // Header (36) + 2 dots + signature (43) leave 4015 characters of payload at the limit.
    let atLimitPayload = [UInt8](repeating: 0x61, count: 4015 / 4 * 3 + 2)
    let atLimit = HS256JWT.sign(payload: atLimitPayload, key: key)
    #expect(atLimit.utf8.count == HS256JWT.maxTokenBytes)
    #expect(HS256JWT.verify(atLimit, key: key) == atLimitPayload)
    let over = HS256JWT.sign(payload: atLimitPayload + [0x61], key: key)
    #expect(over.utf8.count == HS256JWT.maxTokenBytes + 1)
    #expect(HS256JWT.verify(over, key: key) == nil)
}

@Test func shortKeyTraps() async {
    await #expect(processExitsWith: .failure) { _ = HS256JWT.sign(payload: [], key: [UInt8](repeating: 1, count: 31)) }
    await #expect(processExitsWith: .failure) { _ = HS256JWT.verify(pythonToken, key: []) }
}

private extension String {
    func replacingFirst(_ target: Character, with replacement: Character) -> String {
        guard let index = firstIndex(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(index...index, with: String(replacement))
        return copy
    }
}
