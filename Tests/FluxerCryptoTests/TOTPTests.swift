import FluxerCrypto
import Testing

/// The RFC 4226 Appendix D and RFC 6238 Appendix B SHA-1 seed.
private let rfcSecret = bytes("12345678901234567890")

/// RFC 4226 Appendix D: HOTP values for counters 0–9.
private let rfc4226 = ["755224", "287082", "359152", "969429", "338314",
                       "254676", "287922", "162583", "399871", "520489"]

/// RFC 6238 Appendix B, SHA-1 rows: (Unix time, counter T in hex, 8-digit TOTP).
private let rfc6238: [(time: Int64, counter: UInt64, code: String)] = [
    (59, 0x1, "94287082"),
    (1_111_111_109, 0x23523EC, "07081804"),
    (1_111_111_111, 0x23523ED, "14050471"),
    (1_234_567_890, 0x273EF07, "89005924"),
    (2_000_000_000, 0x3F940AA, "69279037"),
    (20_000_000_000, 0x27BC86AA, "65353130"),
]

@Test(arguments: 0..<10) func hotp_rfc4226AppendixD(counter: Int) {
    #expect(TOTP.code(secret: rfcSecret, counter: UInt64(counter)) == rfc4226[counter])
}

@Test(arguments: 0..<6) func totp_rfc6238AppendixB(index: Int) {
    let vector = rfc6238[index]
    #expect(TOTP.counter(at: vector.time) == vector.counter)
    #expect(TOTP.code(secret: rfcSecret, counter: vector.counter, digits: 8) == vector.code)
    #expect(TOTP.verify(vector.code, secret: rfcSecret, at: vector.time, digits: 8) == vector.counter)
}

@Test func code_keepsLeadingZeros() {
    // RFC 6238 Appendix B: 07081804 at 1111111109; its 6-digit suffix is 081804.
    #expect(TOTP.code(secret: rfcSecret, counter: 0x23523EC, digits: 8) == "07081804")
    #expect(TOTP.code(secret: rfcSecret, counter: 0x23523EC) == "081804")
    #expect(TOTP.code(secret: rfcSecret, counter: 0x23523EC, digits: 7) == "7081804")
}

@Test func counter_stepBoundaries() {
    #expect(TOTP.counter(at: 0) == 0)
    #expect(TOTP.counter(at: 29) == 0)
    #expect(TOTP.counter(at: 30) == 1)
    #expect(TOTP.counter(at: 59) == 1)
    #expect(TOTP.counter(at: 60) == 2)
    #expect(TOTP.counter(at: 60, step: 60) == 1)
    #expect(TOTP.counter(at: Int64.max, step: 1) == UInt64(Int64.max))
}

@Test func verify_returnsTheMatchingCounter() {
    let now: Int64 = 1_234_567_890
    let current = TOTP.counter(at: now)
    for offset in [-1, 0, 1] {
        let counter = UInt64(Int64(current) + Int64(offset))
        let code = TOTP.code(secret: rfcSecret, counter: counter)
        #expect(TOTP.verify(code, secret: rfcSecret, at: now) == counter, "offset \(offset)")
    }
}

@Test func verify_refusesOutsideTheWindow() {
    let now: Int64 = 1_234_567_890
    let current = TOTP.counter(at: now)
    for counter in [current - 2, current + 2, current - 3, current + 10] {
        let code = TOTP.code(secret: rfcSecret, counter: counter)
        #expect(TOTP.verify(code, secret: rfcSecret, at: now) == nil, "counter \(counter)")
    }
}

@Test func verify_windowWidth() {
    let now: Int64 = 1_234_567_890
    let current = TOTP.counter(at: now)
    let previous = TOTP.code(secret: rfcSecret, counter: current - 1)
    let twoAhead = TOTP.code(secret: rfcSecret, counter: current + 2)
    #expect(TOTP.verify(previous, secret: rfcSecret, at: now, window: 0) == nil)
    #expect(TOTP.verify(TOTP.code(secret: rfcSecret, counter: current), secret: rfcSecret, at: now, window: 0)
        == current)
    #expect(TOTP.verify(twoAhead, secret: rfcSecret, at: now, window: 2) == current + 2)
}

@Test func verify_windowDoesNotWrapBelowCounterZero() {
    // At t = 10 the counter is 0: only 0 and 1 are candidates; "counter −1" must not become UInt64.max.
    let wrapped = TOTP.code(secret: rfcSecret, counter: UInt64.max)
    #expect(TOTP.verify(wrapped, secret: rfcSecret, at: 10) == nil)
    #expect(TOTP.verify(rfc4226[0], secret: rfcSecret, at: 10) == 0)
    #expect(TOTP.verify(rfc4226[1], secret: rfcSecret, at: 10) == 1)
}

@Test func verify_refusesWrongSecret() {
    let code = TOTP.code(secret: rfcSecret, counter: TOTP.counter(at: 1_000_000))
    #expect(TOTP.verify(code, secret: bytes("12345678901234567891"), at: 1_000_000) == nil)
}

@Test func verify_refusesMalformedCodes() {
    // Each is refused before any HMAC; "755224" would be valid at t = 0.
    #expect(TOTP.verify("755224", secret: rfcSecret, at: 0) == 0)
    let malformed = ["", "12345", "1234567", " 123456", "123456 ", "12345a", "１２３４５６", "+75522", "-75522",
                     "75522\u{0}", "7552 4", "٧٥٥٢٢٤", "755224\n", "75522４"]
    for code in malformed {
        #expect(TOTP.verify(code, secret: rfcSecret, at: 0) == nil, "\(code.debugDescription)")
    }
    // A correct 6-digit code is not accepted as an 8-digit one, nor the other way round.
    #expect(TOTP.verify("755224", secret: rfcSecret, at: 0, digits: 8) == nil)
    #expect(TOTP.verify("84755224", secret: rfcSecret, at: 0) == nil)
}

@Test func generateSecret_is160RandomBits() {
    let first = TOTP.generateSecret()
    #expect(first.count == 20)
    #expect(TOTP.secretCount == 20)
    #expect(first != TOTP.generateSecret())
}

@Test func provisioningURI_keyUriFormat() {
    let uri = TOTP.provisioningURI(secret: rfcSecret, issuer: "Fluxer", account: "alice@example.com")
    #expect(uri == "otpauth://totp/Fluxer:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        + "&issuer=Fluxer&algorithm=SHA1&digits=6&period=30")
}

@Test func provisioningURI_percentEncodesLabelAndIssuer() {
    let uri = TOTP.provisioningURI(secret: [0xFF], issuer: "Big Co: Ltd&x=1", account: "bob é:#?/")
    #expect(uri == "otpauth://totp/Big%20Co%3A%20Ltd%26x%3D1:bob%20%C3%A9%3A%23%3F%2F?secret=74"
        + "&issuer=Big%20Co%3A%20Ltd%26x%3D1&algorithm=SHA1&digits=6&period=30")
}

@Test func provisioningURI_secretHasNoPadding() {
    let uri = TOTP.provisioningURI(secret: bytes("f"), issuer: "I", account: "a")
    #expect(uri.contains("?secret=MY&issuer=I&"))
}

@Test func code_digitsOutOfRangeTraps() async {
    await #expect(processExitsWith: .failure) { _ = TOTP.code(secret: [1], counter: 0, digits: 5) }
    await #expect(processExitsWith: .failure) { _ = TOTP.code(secret: [1], counter: 0, digits: 9) }
}

@Test func counter_invalidArgumentsTrap() async {
    await #expect(processExitsWith: .failure) { _ = TOTP.counter(at: -1) }
    await #expect(processExitsWith: .failure) { _ = TOTP.counter(at: 0, step: 0) }
}

@Test func verify_negativeWindowTraps() async {
    await #expect(processExitsWith: .failure) { _ = TOTP.verify("123456", secret: [1], at: 0, window: -1) }
}
