import FluxerCrypto
import Testing

@Test func constantTime_equalBytes() {
    #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
    #expect(ConstantTime.equals([], []))
    let secret = SecureRandom.bytes(64)
    #expect(ConstantTime.equals(secret, secret))
}

@Test func constantTime_differentBytes() {
    #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
    #expect(!ConstantTime.equals([0, 2, 3], [1, 2, 3]))
    #expect(!ConstantTime.equals([0xFF], [0x7F]))
}

@Test func constantTime_differentLengthsAreUnequal() {
    #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
    #expect(!ConstantTime.equals([], [0]))
    #expect(!ConstantTime.equals([1, 2], [1, 2, 0]))
}

@Test func constantTime_strings() {
    #expect(ConstantTime.equals("flx_abc", "flx_abc"))
    #expect(ConstantTime.equals("", ""))
    #expect(!ConstantTime.equals("flx_abc", "flx_abd"))
    #expect(!ConstantTime.equals("flx_abc", "flx_ab"))
    #expect(ConstantTime.equals("café", "café"))
    // Byte comparison, no normalisation: precomposed é vs e + combining acute.
    #expect(!ConstantTime.equals("caf\u{E9}", "cafe\u{301}"))
}
