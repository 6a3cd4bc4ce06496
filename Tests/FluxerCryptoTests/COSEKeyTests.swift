import FluxerCrypto
import Testing

/// Vectors computed with Python `cryptography` 48.0 (an independent implementation), message below.
private enum Vectors {
    static let message = bytes("FluxerAuth COSE test message")

    static let es256X = hex("0c7d9c6afad430f4342ddf0183139280f3e348c14aa0a85f113727ffcd76afdd")
    static let es256Y = hex("c07108ca2287736c9b208968da1408cb9591db45d10f86d11d49af11c77065a8")
    static let es256Signature = hex("3045022100b25909d0568ed088058df65f022cda0a3f3fae4ce9d4a76980bf32d47c662e9e0220028ca05f68333387a01fcc4c5627d64c460f685f5f103ff80edc2781639b878a")

    /// RFC 8032 §7.1 TEST 1 key; signatures of "" (the RFC's) and of `message`.
    static let ed25519X = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let ed25519EmptySignature = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    static let ed25519Signature = hex("b9aa8001a30a5d61c7178b005908a3f8b1e318eb1d67db1707a8a828a79ab2e1a668683c58573a12c1e793bec1dd6951c965479badb2fa9327c6c321a2f57609")

    static let rsaN = hex("9f6a8f17ea7f82b477fa889d04dd082bd8856b94bf51a8b73f1c7fce40089230c54bcb17dcdaee9b9f7e88a922787327fd289f002222e8970df73c42ef3507d270651a4c7248d75416de72c18b9b315348ecf89712e2ab2bc96ea1e03655fe442eb459adedd899611cbd99aa5bfa33c5a3b7f05cfefd6e69588e719eae134dee162245206f1227cef21e839583c0c9c6c58b0f9161c3faae98173965bac113a3a9a0e80b5d8e30d87df0f5508d4a4d496f16b40d16b0896132b15b3f7cef37133e9fc2ae77d9c7d0f25b167d7a0066bd7749f3fd41d22c97666358c3d78133ee9e4adf219c7605d9ba607411c1abf0317950ec3cde637a962a200d4bf0f522bb")
    static let rsaE = hex("010001")
    static let rsaSignature = hex("28c6df8961a6ad494f33c06af936ab07de6f52b701282bc4b7c93a515c9c9b324a6c94918e9eb1e09e0a0fa3515bcb7ec851cf6857e07eed1894d26110f107d88fd8a4a6d21b62909b23215aad6689806cee64dac81f230b5216387bb78cf78758e40101caee2922db26be800927e0e07d0af8122f5d08195bfe2f8a3807774f493f0a2b8bf56f98ef760b557fe9141edeb54a125cba964fa1f4f2f8facefee82a54e22ac05419c215be0d810104842a46ec53ee85a26192f058cdad51c2fd1112a7bf1a1a9629463acb1426ab96fcf07dbdff921cbf2cfb35aa7870a41b381d973304f1525e47680117739de8d32b95025707ef3868d4eeb075ba2da84dcad0")
    static let rsa1024N = hex("a42173d2dd39d3c98af97585225d3be09acf8d5a46c608a99bef4a0b829e15d736b110b717e165c15719c0738e6cdbe38af8a016ce1b66b24689347b03f939f3c7ae577877ed8b7cf85777e7b1e535a915561462a810e8d5ea25fa773171694cb3cf0cd651b6cdab76a720a78407b03dec7649b8ca2474bc4a9e8ed40f48d5f3")
}

private func flipped(_ bytes: [UInt8], at index: Int) -> [UInt8] {
    var copy = bytes
    copy[index] ^= 0x01
    return copy
}

private func parseError(_ value: CBORValue) -> COSEKeyError? {
    do {
        _ = try COSEKey.parse(value)
        return nil
    } catch {
        return error
    }
}

/// A COSE map from (label, value) pairs.
private func cose(_ entries: [(Int, CBORValue)]) -> CBORValue {
    .map(entries.map { (.int($0.0), $0.1) })
}

@Suite struct COSEKeyTests {
    @Test func cose_parsesAllThreeKeyTypes() throws {
        let ec = try COSEKey.parse(cose([(1, .int(2)), (3, .int(-7)), (-1, .int(1)), (-2, .bytes(Vectors.es256X)), (-3, .bytes(Vectors.es256Y))]))
        #expect(ec == .ec2P256(x: Vectors.es256X, y: Vectors.es256Y))
        #expect(ec.algorithm == -7)
        let ed = try COSEKey.parse(cose([(1, .int(1)), (3, .int(-8)), (-1, .int(6)), (-2, .bytes(Vectors.ed25519X))]))
        #expect(ed == .ed25519(x: Vectors.ed25519X))
        #expect(ed.algorithm == -8)
        let rsa = try COSEKey.parse(cose([(1, .int(3)), (3, .int(-257)), (-1, .bytes(Vectors.rsaN)), (-2, .bytes(Vectors.rsaE))]))
        #expect(rsa == .rsa(n: Vectors.rsaN, e: Vectors.rsaE))
        #expect(rsa.algorithm == -257)
    }

    @Test func cose_canonicalEncodingRoundTrips() throws {
        let key = COSEKey.ec2P256(x: Vectors.es256X, y: Vectors.es256Y)
        let encoded = CBOREncoder.encode(key.cbor)
        // a5 01 02 03 26 20 01 21 58 20 <x> 22 58 20 <y>: the bytes authenticators emit.
        #expect(Array(encoded.prefix(10)) == hex("a50102032620012158 20"))
        #expect(try COSEKey.parse(CBORDecoder.decode(encoded).value) == key)
        for other in [COSEKey.ed25519(x: Vectors.ed25519X), .rsa(n: Vectors.rsaN, e: Vectors.rsaE)] {
            #expect(try COSEKey.parse(CBORDecoder.decode(CBOREncoder.encode(other.cbor)).value) == other)
        }
    }

    @Test func cose_unknownLabelsIgnored() throws {
        let key = try COSEKey.parse(cose([(1, .int(1)), (2, .bytes([9])), (3, .int(-8)), (-1, .int(6)), (-2, .bytes(Vectors.ed25519X)), (4, .array([.int(2)]))]))
        #expect(key == .ed25519(x: Vectors.ed25519X))
    }

    @Test func cose_invalidKeys_refused() {
        let x = CBORValue.bytes(Vectors.es256X), y = CBORValue.bytes(Vectors.es256Y)
        #expect(parseError(.array([])) == .notAMap)
        #expect(parseError(cose([(3, .int(-7)), (-1, .int(1)), (-2, x), (-3, y)])) == .unsupportedKeyType)
        #expect(parseError(cose([(1, .int(4)), (3, .int(-7))])) == .unsupportedKeyType)
        #expect(parseError(cose([(1, .text("EC2")), (3, .int(-7))])) == .unsupportedKeyType)
        #expect(parseError(cose([(1, .int(2)), (-1, .int(1)), (-2, x), (-3, y)])) == .unsupportedAlgorithm)
        #expect(parseError(cose([(1, .int(2)), (3, .int(-8)), (-1, .int(1)), (-2, x), (-3, y)])) == .unsupportedAlgorithm)
        #expect(parseError(cose([(1, .int(2)), (3, .int(-35)), (-1, .int(2)), (-2, x), (-3, y)])) == .unsupportedAlgorithm)
        #expect(parseError(cose([(1, .int(2)), (3, .int(-7)), (-1, .int(2)), (-2, x), (-3, y)])) == .unsupportedCurve)
        #expect(parseError(cose([(1, .int(2)), (3, .int(-7)), (-2, x), (-3, y)])) == .unsupportedCurve)
        #expect(parseError(cose([(1, .int(2)), (3, .int(-7)), (-1, .int(1)), (-2, .bytes(Array(Vectors.es256X.dropFirst()))), (-3, y)])) == .invalidKeyMaterial)
        #expect(parseError(cose([(1, .int(2)), (3, .int(-7)), (-1, .int(1)), (-2, x), (-3, .bool(true))])) == .invalidKeyMaterial)
        #expect(parseError(cose([(1, .int(2)), (3, .int(-7)), (-1, .int(1)), (-2, x)])) == .invalidKeyMaterial)
        #expect(parseError(cose([(1, .int(1)), (3, .int(-8)), (-1, .int(4)), (-2, .bytes(Vectors.ed25519X))])) == .unsupportedCurve)
        #expect(parseError(cose([(1, .int(1)), (3, .int(-8)), (-1, .int(6)), (-2, .bytes(Vectors.ed25519X + [0]))])) == .invalidKeyMaterial)
        #expect(parseError(cose([(1, .int(3)), (3, .int(-7)), (-1, .bytes(Vectors.rsaN)), (-2, .bytes(Vectors.rsaE))])) == .unsupportedAlgorithm)
        #expect(parseError(cose([(1, .int(3)), (3, .int(-257)), (-1, .bytes(Vectors.rsaN)), (-2, .bytes([0x01, 0x00, 0x00]))])) == .invalidKeyMaterial)
        #expect(parseError(cose([(1, .int(3)), (3, .int(-257)), (-1, .bytes(Vectors.rsaN))])) == .invalidKeyMaterial)
    }

    @Test func cose_rsaModulusSize_atLimitAndBelow() throws {
        func rsa(_ n: [UInt8]) -> CBORValue {
            cose([(1, .int(3)), (3, .int(-257)), (-1, .bytes(n)), (-2, .bytes(Vectors.rsaE))])
        }
        #expect(parseError(rsa(Vectors.rsa1024N)) == .unsupportedRSAModulusSize)
        // Exactly 2048 bits, also with a redundant leading zero byte; 2047 bits is refused.
        #expect(try COSEKey.parse(rsa([0x80] + [UInt8](repeating: 1, count: 255))) == .rsa(n: [0x80] + [UInt8](repeating: 1, count: 255), e: Vectors.rsaE))
        #expect(try COSEKey.parse(rsa([0x00] + Vectors.rsaN)) == .rsa(n: Vectors.rsaN, e: Vectors.rsaE))
        #expect(parseError(rsa([0x7F] + [UInt8](repeating: 1, count: 255))) == .unsupportedRSAModulusSize)
        #expect(try COSEKey.parse(rsa([0xFF] + [UInt8](repeating: 1, count: 1023))).algorithm == -257)
        #expect(parseError(rsa([0x01] + [UInt8](repeating: 1, count: 1024))) == .unsupportedRSAModulusSize)
    }
}

@Suite struct SignatureTests {
    @Test func signature_es256_independentVector() {
        let key = COSEKey.ec2P256(x: Vectors.es256X, y: Vectors.es256Y)
        #expect(key.verify(signature: Vectors.es256Signature, message: Vectors.message))
        #expect(!key.verify(signature: Vectors.es256Signature, message: flipped(Vectors.message, at: 0)))
        #expect(!key.verify(signature: Vectors.es256Signature, message: []))
        for index in Vectors.es256Signature.indices {
            #expect(!key.verify(signature: flipped(Vectors.es256Signature, at: index), message: Vectors.message), "byte \(index)")
        }
        #expect(!key.verify(signature: Array(Vectors.es256Signature.dropLast()), message: Vectors.message))
        #expect(!key.verify(signature: Vectors.es256Signature + [0], message: Vectors.message))
        #expect(!key.verify(signature: [], message: Vectors.message))
    }

    @Test func signature_es256_rawRAndSRefused() {
        // WebAuthn ES256 signatures are DER; the 64-byte r ‖ s form (JOSE) must not verify.
        let der = Vectors.es256Signature
        let r = Array(der[5..<37]), s = Array(der[39..<71])
        let key = COSEKey.ec2P256(x: Vectors.es256X, y: Vectors.es256Y)
        #expect(!key.verify(signature: r + s, message: Vectors.message))
    }

    @Test func signature_es256_pointNotOnCurve_refused() {
        let offCurve = COSEKey.ec2P256(x: Vectors.es256X, y: flipped(Vectors.es256Y, at: 31))
        #expect(!offCurve.isLoadable)
        #expect(!offCurve.verify(signature: Vectors.es256Signature, message: Vectors.message))
        #expect(COSEKey.ec2P256(x: Vectors.es256X, y: Vectors.es256Y).isLoadable)
        #expect(!COSEKey.ec2P256(x: [UInt8](repeating: 0, count: 32), y: [UInt8](repeating: 0, count: 32)).isLoadable)
    }

    @Test func signature_ed25519_rfc8032AndIndependentVector() {
        let key = COSEKey.ed25519(x: Vectors.ed25519X)
        #expect(key.verify(signature: Vectors.ed25519EmptySignature, message: []))
        #expect(key.verify(signature: Vectors.ed25519Signature, message: Vectors.message))
        #expect(!key.verify(signature: Vectors.ed25519Signature, message: flipped(Vectors.message, at: 3)))
        #expect(!key.verify(signature: flipped(Vectors.ed25519Signature, at: 10), message: Vectors.message))
        #expect(!key.verify(signature: flipped(Vectors.ed25519Signature, at: 63), message: Vectors.message))
        #expect(!key.verify(signature: Array(Vectors.ed25519Signature.dropLast()), message: Vectors.message))
        #expect(!COSEKey.ed25519(x: flipped(Vectors.ed25519X, at: 0)).verify(signature: Vectors.ed25519Signature, message: Vectors.message))
    }

    @Test func signature_rs256_independentVector() {
        let key = COSEKey.rsa(n: Vectors.rsaN, e: Vectors.rsaE)
        #expect(key.isLoadable)
        #expect(key.verify(signature: Vectors.rsaSignature, message: Vectors.message))
        #expect(!key.verify(signature: Vectors.rsaSignature, message: flipped(Vectors.message, at: 5)))
        #expect(!key.verify(signature: flipped(Vectors.rsaSignature, at: 100), message: Vectors.message))
        #expect(!key.verify(signature: Array(Vectors.rsaSignature.dropFirst()), message: Vectors.message))
        #expect(!COSEKey.rsa(n: flipped(Vectors.rsaN, at: 200), e: Vectors.rsaE).verify(signature: Vectors.rsaSignature, message: Vectors.message))
        #expect(!COSEKey.rsa(n: Vectors.rsaN, e: [0x03]).verify(signature: Vectors.rsaSignature, message: Vectors.message))
    }

    @Test func signature_keyTypesDoNotCrossVerify() {
        let ec = COSEKey.ec2P256(x: Vectors.es256X, y: Vectors.es256Y)
        #expect(!ec.verify(signature: Vectors.ed25519Signature, message: Vectors.message))
        #expect(!ec.verify(signature: Vectors.rsaSignature, message: Vectors.message))
        #expect(!COSEKey.ed25519(x: Vectors.ed25519X).verify(signature: Vectors.es256Signature, message: Vectors.message))
    }

    @Test func signature_p256SoftKey_signsAndVerifies() throws {
        let softKey = P256SoftKey()
        let message = SecureRandom.bytes(100)
        let signature = softKey.sign(message)
        #expect(signature.first == 0x30)
        #expect(softKey.coseKey.isLoadable)
        #expect(softKey.coseKey.verify(signature: signature, message: message))
        #expect(!softKey.coseKey.verify(signature: signature, message: flipped(message, at: 99)))
        #expect(!P256SoftKey().coseKey.verify(signature: signature, message: message))
        #expect(softKey.sign([]).count > 8)
        #expect(softKey.coseKey.verify(signature: softKey.sign([]), message: []))
        #expect(try COSEKey.parse(CBORDecoder.decode(softKey.coseKeyCBOR).value) == softKey.coseKey)
        #expect(softKey.coseKeyCBOR.count == 77)
    }
}
