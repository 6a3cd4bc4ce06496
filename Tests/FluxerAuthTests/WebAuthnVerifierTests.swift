import FluxerCrypto
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

private typealias Flag = SoftAuthenticator.Flag

private func registrationError(_ response: (clientDataJSON: [UInt8], attestationObject: [UInt8]), challenge: [UInt8],
                               policy: WebAuthnPolicy = SoftAuthenticator.policy()) -> WebAuthnError? {
    do {
        _ = try WebAuthnVerifier.verifyRegistration(clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject,
                                                    expectedChallenge: challenge, policy: policy)
        return nil
    } catch {
        return error
    }
}

private func assertionResult(_ response: (clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]),
                             key: COSEKey, storedSignCount: UInt32 = 0, challenge: [UInt8],
                             policy: WebAuthnPolicy = SoftAuthenticator.policy()) -> Result<UInt32, WebAuthnError> {
    Result { () throws(WebAuthnError) in
        try WebAuthnVerifier.verifyAssertion(clientDataJSON: response.clientDataJSON, authenticatorData: response.authenticatorData,
                                             signature: response.signature, credentialPublicKey: key, storedSignCount: storedSignCount,
                                             expectedChallenge: challenge, policy: policy)
    }
}

private func assertionError(_ response: (clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]),
                            key: COSEKey, storedSignCount: UInt32 = 0, challenge: [UInt8],
                            policy: WebAuthnPolicy = SoftAuthenticator.policy()) -> WebAuthnError? {
    if case .failure(let error) = assertionResult(response, key: key, storedSignCount: storedSignCount, challenge: challenge, policy: policy) {
        return error
    }
    return nil
}

private func flipped(_ bytes: [UInt8], at index: Int) -> [UInt8] {
    var copy = bytes
    copy[index] ^= 0x01
    return copy
}

@Suite struct WebAuthnVerifierTests {
    let authenticator = SoftAuthenticator()
    let challenge = WebAuthnVerifier.makeChallenge()

    // MARK: registration (§7.1)

    @Test func registration_none_succeeds() throws {
        let response = authenticator.register(challenge: challenge)
        let credential = try WebAuthnVerifier.verifyRegistration(
            clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject,
            expectedChallenge: challenge, policy: SoftAuthenticator.policy(requireUserVerification: true))
        #expect(credential.credentialID == authenticator.credentialID)
        #expect(credential.publicKey == authenticator.key.coseKey)
        #expect(credential.publicKeyCBOR == authenticator.key.coseKeyCBOR)
        #expect(credential.signCount == 0)
        #expect(credential.aaguid == Array(0..<16))
        #expect(credential.userVerified)
        #expect(!credential.backupEligible && !credential.backupState)
        #expect(credential.attestationFormat == "none")
    }

    @Test func registration_packedSelfAttestation_succeeds() throws {
        let response = authenticator.register(challenge: challenge, attestation: .packedSelf())
        let credential = try WebAuthnVerifier.verifyRegistration(
            clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject,
            expectedChallenge: challenge, policy: SoftAuthenticator.policy())
        #expect(credential.attestationFormat == "packed")
        #expect(credential.publicKey == authenticator.key.coseKey)
    }

    @Test func registrationThenAssertions_countIncreases() throws {
        let response = authenticator.register(challenge: challenge, attestation: .packedSelf())
        let credential = try WebAuthnVerifier.verifyRegistration(
            clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject,
            expectedChallenge: challenge, policy: SoftAuthenticator.policy())
        var stored = credential.signCount
        for expected: UInt32 in 1...3 {
            let loginChallenge = WebAuthnVerifier.makeChallenge()
            let assertion = authenticator.assert(challenge: loginChallenge)
            stored = try assertionResult(assertion, key: credential.publicKey, storedSignCount: stored, challenge: loginChallenge).get()
            #expect(stored == expected)
        }
    }

    @Test func registration_wrongChallenge_refused() {
        let response = authenticator.register(challenge: challenge)
        #expect(registrationError(response, challenge: WebAuthnVerifier.makeChallenge()) == .challengeMismatch)
        #expect(registrationError(response, challenge: Array(challenge.dropLast())) == .challengeMismatch)
        #expect(registrationError(response, challenge: []) == .challengeMismatch)
    }

    @Test func registration_challengeEncodingVariants_refused() {
        // Standard base64 with padding is not what browsers send; the strict decoder refuses it.
        let padded = Array(#"{"type":"webauthn.create","challenge":"\#(Base64URL.encode(challenge))=","origin":"https://example.org"}"#.utf8)
        let response = authenticator.register(challenge: challenge)
        #expect(registrationError((padded, response.attestationObject), challenge: challenge) == .challengeMismatch)
    }

    @Test(arguments: ["https://evil.example", "http://example.org", "https://example.org:443", "https://EXAMPLE.org",
                      "https://example.org/", "https://example.org.evil.com", "https://sub.example.org", "null", ""])
    func registration_wrongOrigin_refused(origin: String) {
        let response = authenticator.register(challenge: challenge, origin: origin)
        #expect(registrationError(response, challenge: challenge) == .originNotAllowed)
    }

    @Test func registration_anyConfiguredOrigin_accepted() {
        let policy = SoftAuthenticator.policy(origins: ["https://example.org", "https://login.example.org"])
        let response = authenticator.register(challenge: challenge, origin: "https://login.example.org")
        #expect(registrationError(response, challenge: challenge, policy: policy) == nil)
    }

    @Test func registration_crossOriginOrTopOrigin_refused() {
        let crossOrigin = authenticator.register(challenge: challenge, clientDataExtra: #","crossOrigin":true"#)
        // JSONDecoder may keep either duplicate; build the member list explicitly instead.
        let explicit = Array(#"{"type":"webauthn.create","challenge":"\#(Base64URL.encode(challenge))","origin":"https://example.org","crossOrigin":true}"#.utf8)
        #expect(registrationError((explicit, crossOrigin.attestationObject), challenge: challenge) == .crossOriginNotAllowed)
        let topOrigin = authenticator.register(challenge: challenge, clientDataExtra: #","topOrigin":"https://example.org""#)
        #expect(registrationError(topOrigin, challenge: challenge) == .crossOriginNotAllowed)
    }

    @Test func registration_unknownClientDataMembers_ignored() {
        let response = authenticator.register(challenge: challenge, clientDataExtra: #","tokenBinding":{"status":"present","id":"x"},"other":[1,2]"#)
        #expect(registrationError(response, challenge: challenge) == nil)
    }

    @Test func registration_wrongRPID_refused() {
        let response = authenticator.register(challenge: challenge, rpID: "evil.org")
        #expect(registrationError(response, challenge: challenge) == .rpIDHashMismatch)
        let suffix = authenticator.register(challenge: challenge, rpID: "login.example.org")
        #expect(registrationError(suffix, challenge: challenge) == .rpIDHashMismatch)
    }

    @Test func registration_assertionType_refused() {
        let response = authenticator.register(challenge: challenge, type: "webauthn.get")
        #expect(registrationError(response, challenge: challenge) == .wrongCeremonyType)
        #expect(registrationError(authenticator.register(challenge: challenge, type: "webauthn.Create"), challenge: challenge) == .wrongCeremonyType)
    }

    @Test func registration_userPresenceAndVerification() {
        let noUP = authenticator.register(challenge: challenge, flags: Flag.uv | Flag.at)
        #expect(registrationError(noUP, challenge: challenge) == .userNotPresent)
        let noUV = authenticator.register(challenge: challenge, flags: Flag.up | Flag.at)
        #expect(registrationError(noUV, challenge: challenge, policy: SoftAuthenticator.policy(requireUserVerification: true)) == .userNotVerified)
        #expect(registrationError(noUV, challenge: challenge, policy: SoftAuthenticator.policy(requireUserVerification: false)) == nil)
    }

    @Test func registration_backupFlags() throws {
        let bsWithoutBE = authenticator.register(challenge: challenge, flags: Flag.up | Flag.at | Flag.bs)
        #expect(registrationError(bsWithoutBE, challenge: challenge) == .invalidBackupFlags)
        let synced = authenticator.register(challenge: challenge, flags: Flag.up | Flag.at | Flag.be | Flag.bs)
        let credential = try WebAuthnVerifier.verifyRegistration(clientDataJSON: synced.clientDataJSON, attestationObject: synced.attestationObject,
                                                                 expectedChallenge: challenge, policy: SoftAuthenticator.policy())
        #expect(credential.backupEligible && credential.backupState)
    }

    @Test func registration_withoutAttestedCredentialData_refused() {
        let response = authenticator.register(challenge: challenge, flags: Flag.up | Flag.uv)
        #expect(registrationError(response, challenge: challenge) == .missingCredentialData)
    }

    @Test func registration_credentialIDLength_1023Accepted_1024Refused() throws {
        let at = authenticator.register(challenge: challenge, credentialID: [UInt8](repeating: 0xAB, count: 1023))
        let credential = try WebAuthnVerifier.verifyRegistration(clientDataJSON: at.clientDataJSON, attestationObject: at.attestationObject,
                                                                 expectedChallenge: challenge, policy: SoftAuthenticator.policy())
        #expect(credential.credentialID.count == 1023)
        let above = authenticator.register(challenge: challenge, credentialID: [UInt8](repeating: 0xAB, count: 1024))
        #expect(registrationError(above, challenge: challenge) == .invalidCredentialIDLength)
    }

    @Test func registration_extensionsAfterKey_accepted() throws {
        let extensions = CBORValue.map([(.text("credProtect"), .int(2))])
        let response = authenticator.register(challenge: challenge, flags: Flag.up | Flag.at | Flag.ed, attestation: .packedSelf(), extensions: extensions)
        let credential = try WebAuthnVerifier.verifyRegistration(clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject,
                                                                 expectedChallenge: challenge, policy: SoftAuthenticator.policy())
        #expect(credential.publicKeyCBOR == authenticator.key.coseKeyCBOR)
    }

    @Test func registration_algorithmNotOffered_refused() {
        let response = authenticator.register(challenge: challenge)
        #expect(registrationError(response, challenge: challenge, policy: SoftAuthenticator.policy(algorithms: [COSEKey.edDSA])) == .algorithmNotAllowed)
    }

    @Test func registration_malformedAttestationObject_refused() {
        let response = authenticator.register(challenge: challenge, attestation: .packedSelf())
        let object = response.attestationObject
        // Cut at every length: always refused, never a crash.
        for length in 0..<object.count {
            #expect(registrationError((response.clientDataJSON, Array(object.prefix(length))), challenge: challenge) != nil, "length \(length)")
        }
        #expect(registrationError((response.clientDataJSON, object + [0x00]), challenge: challenge) == .malformedAttestationObject)
        #expect(registrationError((response.clientDataJSON, [0x5B] + [UInt8](repeating: 0xFF, count: 8)), challenge: challenge) == .malformedAttestationObject)
        #expect(registrationError((response.clientDataJSON, [0xBF, 0xFF]), challenge: challenge) == .malformedAttestationObject)
        #expect(registrationError((response.clientDataJSON, CBOREncoder.encode(.array([]))), challenge: challenge) == .malformedAttestationObject)
        let authData = CBORValue.bytes(authenticator.authenticatorData(flags: 0x41, signCount: 0, attested: true))
        let variants: [CBORValue] = [
            .map([(.text("attStmt"), .map([])), (.text("authData"), authData)]),
            .map([(.text("fmt"), .text("none")), (.text("authData"), authData)]),
            .map([(.text("fmt"), .text("none")), (.text("attStmt"), .map([]))]),
            .map([(.text("fmt"), .int(1)), (.text("attStmt"), .map([])), (.text("authData"), authData)]),
            .map([(.text("fmt"), .text("none")), (.text("attStmt"), .array([])), (.text("authData"), authData)]),
            .map([(.text("fmt"), .text("none")), (.text("attStmt"), .map([])), (.text("authData"), .text("x"))]),
        ]
        for variant in variants {
            #expect(registrationError((response.clientDataJSON, CBOREncoder.encode(variant)), challenge: challenge) == .malformedAttestationObject)
        }
    }

    @Test(arguments: ["fido-u2f", "tpm", "android-key", "apple", "", "None", "packed "])
    func registration_unknownFormat_refused(format: String) {
        let response = authenticator.register(challenge: challenge, attestation: .custom(format: format, statement: .map([])))
        #expect(registrationError(response, challenge: challenge) == .unsupportedAttestationFormat)
    }

    @Test func registration_attestationStatements() {
        let noneWithStatement = authenticator.register(challenge: challenge, attestation: .custom(format: "none", statement: .map([(.text("alg"), .int(-7))])))
        #expect(registrationError(noneWithStatement, challenge: challenge) == .invalidAttestationStatement)
        for alg in [COSEKey.rs256, COSEKey.edDSA, -35] {
            let wrongAlg = authenticator.register(challenge: challenge, attestation: .packedSelf(alg: alg))
            #expect(registrationError(wrongAlg, challenge: challenge) == .invalidAttestationStatement)
        }
        let noSig = authenticator.register(challenge: challenge, attestation: .custom(format: "packed", statement: .map([(.text("alg"), .int(-7))])))
        #expect(registrationError(noSig, challenge: challenge) == .invalidAttestationStatement)
        let badSig = authenticator.register(challenge: challenge, attestation: .custom(
            format: "packed", statement: .map([(.text("alg"), .int(-7)), (.text("sig"), .bytes(authenticator.key.sign([1])))])))
        #expect(registrationError(badSig, challenge: challenge) == .invalidSignature)
        let x5c = authenticator.register(challenge: challenge, attestation: .packedWithCertificates)
        #expect(registrationError(x5c, challenge: challenge) == .attestationCertificatesUnsupported)
    }

    @Test func registration_packedSignatureCoversClientData() {
        // Self attestation signed over one clientDataJSON, presented with another (extra member).
        let response = authenticator.register(challenge: challenge, attestation: .packedSelf())
        let other = SoftAuthenticator.clientData(type: "webauthn.create", challenge: challenge, extra: #","x":1"#)
        #expect(registrationError((other, response.attestationObject), challenge: challenge) == .invalidSignature)
    }

    @Test func registration_clientDataLimits() {
        let response = authenticator.register(challenge: challenge)
        // The clientDataJSON without its closing brace, then a "pad" member sized to hit the limit.
        let base = SoftAuthenticator.clientData(type: "webauthn.create", challenge: challenge).dropLast() + Array(#","pad":""#.utf8)
        let atLimit = base + [UInt8](repeating: 0x61, count: WebAuthnVerifier.maxClientDataBytes - base.count - 2) + Array(#""}"#.utf8)
        #expect(atLimit.count == WebAuthnVerifier.maxClientDataBytes)
        #expect(registrationError((atLimit, response.attestationObject), challenge: challenge) == nil)
        let above = base + [UInt8](repeating: 0x61, count: WebAuthnVerifier.maxClientDataBytes - base.count - 1) + Array(#""}"#.utf8)
        #expect(registrationError((above, response.attestationObject), challenge: challenge) == .clientDataTooLarge)
        for malformed in ["", "[]", "{", #"{"type":"webauthn.create"}"#, #"{"type":1,"challenge":"AA","origin":"https://example.org"}"#, "\u{FEFF}{}"] {
            #expect(registrationError((Array(malformed.utf8), response.attestationObject), challenge: challenge) == .malformedClientData, "\(malformed)")
        }
        #expect(registrationError(([0xFF, 0xFE], response.attestationObject), challenge: challenge) == .malformedClientData)
    }

    // MARK: authentication (§7.2)

    @Test func assertion_tamperedSignature_refused() {
        let response = authenticator.assert(challenge: challenge)
        for index in response.signature.indices {
            let tampered = (response.clientDataJSON, response.authenticatorData, flipped(response.signature, at: index))
            #expect(assertionError(tampered, key: authenticator.key.coseKey, challenge: challenge) == .invalidSignature, "byte \(index)")
        }
        let other = (response.clientDataJSON, response.authenticatorData, P256SoftKey().sign(response.authenticatorData + SHA256.hash(response.clientDataJSON)))
        #expect(assertionError(other, key: authenticator.key.coseKey, challenge: challenge) == .invalidSignature)
        #expect(assertionError((response.clientDataJSON, response.authenticatorData, []), key: authenticator.key.coseKey, challenge: challenge) == .invalidSignature)
    }

    @Test func assertion_tamperedAuthenticatorDataOrClientData_refused() {
        let response = authenticator.assert(challenge: challenge, signCount: 10)
        // The sign-count bytes and the reserved flag bits are covered by the signature too.
        for index in [33, 34, 35, 36] {
            let tampered = (response.clientDataJSON, flipped(response.authenticatorData, at: index), response.signature)
            #expect(assertionError(tampered, key: authenticator.key.coseKey, challenge: challenge) == .invalidSignature)
        }
        var flags = response.authenticatorData
        flags[32] |= 0x02
        #expect(assertionError((response.clientDataJSON, flags, response.signature), key: authenticator.key.coseKey, challenge: challenge) == .invalidSignature)
        let otherClientData = SoftAuthenticator.clientData(type: "webauthn.get", challenge: challenge, extra: #","x":1"#)
        #expect(assertionError((otherClientData, response.authenticatorData, response.signature), key: authenticator.key.coseKey, challenge: challenge) == .invalidSignature)
    }

    @Test func assertion_wrongOrigin_refused() {
        let response = authenticator.assert(challenge: challenge, origin: "https://example.org.evil.com")
        #expect(assertionError(response, key: authenticator.key.coseKey, challenge: challenge) == .originNotAllowed)
    }

    @Test func assertion_wrongRPID_refused() {
        let response = authenticator.assert(challenge: challenge, rpID: "evil.org")
        #expect(assertionError(response, key: authenticator.key.coseKey, challenge: challenge) == .rpIDHashMismatch)
    }

    @Test func assertion_creationType_refused() {
        let response = authenticator.assert(challenge: challenge, type: "webauthn.create")
        #expect(assertionError(response, key: authenticator.key.coseKey, challenge: challenge) == .wrongCeremonyType)
    }

    @Test func assertion_userPresenceAndVerification() {
        let noUP = authenticator.assert(challenge: challenge, flags: Flag.uv)
        #expect(assertionError(noUP, key: authenticator.key.coseKey, challenge: challenge) == .userNotPresent)
        let noUV = authenticator.assert(challenge: challenge, flags: Flag.up)
        #expect(assertionError(noUV, key: authenticator.key.coseKey, storedSignCount: 1, challenge: challenge,
                               policy: SoftAuthenticator.policy(requireUserVerification: true)) == .userNotVerified)
        #expect(assertionError(noUV, key: authenticator.key.coseKey, storedSignCount: 1, challenge: challenge) == nil)
    }

    @Test func assertion_attestedCredentialData_refused() {
        let response = authenticator.assert(challenge: challenge, flags: Flag.up | Flag.at)
        #expect(assertionError(response, key: authenticator.key.coseKey, challenge: challenge) == .unexpectedCredentialData)
        let bs = authenticator.assert(challenge: challenge, flags: Flag.up | Flag.bs)
        #expect(assertionError(bs, key: authenticator.key.coseKey, challenge: challenge) == .invalidBackupFlags)
    }

    /// The server consumes a challenge on first use (WebAuthnRoutes, DB-backed); a replayed response then meets
    /// a fresh challenge, which never matches it.
    @Test func assertion_replayedChallenge_refused() throws {
        let response = authenticator.assert(challenge: challenge)
        #expect(try assertionResult(response, key: authenticator.key.coseKey, challenge: challenge).get() == 1)
        let fresh = WebAuthnVerifier.makeChallenge()
        #expect(assertionError(response, key: authenticator.key.coseKey, storedSignCount: 1, challenge: fresh) == .challengeMismatch)
    }

    @Test func assertion_signCount() {
        let key = authenticator.key.coseKey
        func result(stored: UInt32, received: UInt32) -> Result<UInt32, WebAuthnError> {
            assertionResult(authenticator.assert(challenge: challenge, signCount: received), key: key, storedSignCount: stored, challenge: challenge)
        }
        #expect(result(stored: 0, received: 0) == .success(0))
        #expect(result(stored: 0, received: 1) == .success(1))
        #expect(result(stored: 5, received: 6) == .success(6))
        #expect(result(stored: 5, received: UInt32.max) == .success(UInt32.max))
        #expect(result(stored: 5, received: 5) == .failure(.possibleClone(stored: 5, received: 5)))
        #expect(result(stored: 5, received: 4) == .failure(.possibleClone(stored: 5, received: 4)))
        #expect(result(stored: 5, received: 0) == .failure(.possibleClone(stored: 5, received: 0)))
        #expect(WebAuthnError.possibleClone(stored: 5, received: 4).reason.contains("possible clone"))
    }

    @Test func assertion_cloneNotReportedForBadSignature() {
        // A forged low count must read as a bad signature, never as a clone of the real authenticator.
        let response = authenticator.assert(challenge: challenge, signCount: 1)
        let forged = (response.clientDataJSON, response.authenticatorData, flipped(response.signature, at: 10))
        #expect(assertionError(forged, key: authenticator.key.coseKey, storedSignCount: 9, challenge: challenge) == .invalidSignature)
    }

    @Test func assertion_malformedAuthenticatorData_refused() {
        let response = authenticator.assert(challenge: challenge)
        for length in [0, 1, 32, 36] {
            let cut = (response.clientDataJSON, Array(response.authenticatorData.prefix(length)), response.signature)
            #expect(assertionError(cut, key: authenticator.key.coseKey, challenge: challenge) == .malformedAuthenticatorData)
        }
    }

    // MARK: allowCredentials / user handle (WA-10)

    @Test func checkCredential_allowListAndUserHandle() {
        let id = authenticator.credentialID, owner: [UInt8] = [1, 2, 3]
        #expect(throws: Never.self) { try WebAuthnVerifier.checkCredential(id, allowCredentials: [[9], id], userHandle: nil, ownerHandle: owner) }
        #expect(throws: Never.self) { try WebAuthnVerifier.checkCredential(id, allowCredentials: [id], userHandle: owner, ownerHandle: owner) }
        #expect(throws: WebAuthnError.credentialNotAllowed) { try WebAuthnVerifier.checkCredential(id, allowCredentials: [[9]], userHandle: owner, ownerHandle: owner) }
        #expect(throws: WebAuthnError.userHandleMismatch) { try WebAuthnVerifier.checkCredential(id, allowCredentials: [id], userHandle: [4], ownerHandle: owner) }
        // Usernameless: the user handle is required.
        #expect(throws: Never.self) { try WebAuthnVerifier.checkCredential(id, allowCredentials: [], userHandle: owner, ownerHandle: owner) }
        #expect(throws: WebAuthnError.userHandleMismatch) { try WebAuthnVerifier.checkCredential(id, allowCredentials: [], userHandle: nil, ownerHandle: owner) }
        #expect(throws: WebAuthnError.userHandleMismatch) { try WebAuthnVerifier.checkCredential(id, allowCredentials: [], userHandle: [4], ownerHandle: owner) }
    }
}

/// W3C WebAuthn Level 3 §16 test vectors (w3c/webauthn index.bs, RP ID example.org, origin https://example.org).
@Suite struct WebAuthnSpecVectorTests {
    static let policy = WebAuthnPolicy(rpID: "example.org", origins: ["https://example.org"], requireUserVerification: false)

    /// §16 "none" attestation, ES256 credential.
    @Test func webAuthnVector_noneES256_registrationAndAuthentication() throws {
        let registration = try WebAuthnVerifier.verifyRegistration(
            clientDataJSON: hexBytes("7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22414d4d507434557878475453746e63647134313759447742466938767049612d7077386f4f755657345441222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20426b5165446a646354427258426941774a544c453551227d"),
            attestationObject: hexBytes("a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220"),
            expectedChallenge: hexBytes("00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130"),
            policy: Self.policy)
        #expect(registration.credentialID == hexBytes("f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4"))
        #expect(registration.aaguid == hexBytes("8446ccb9ab1db374750b2367ff6f3a1f"))
        #expect(registration.publicKeyCBOR == hexBytes("a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220"))
        #expect(registration.backupEligible && registration.backupState)

        let assertion = (
            clientDataJSON: hexBytes("7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c5455506f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d"),
            authenticatorData: hexBytes("bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000"),
            signature: hexBytes("3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87"))
        let loginChallenge = hexBytes("39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408")
        #expect(assertionResult(assertion, key: registration.publicKey, storedSignCount: registration.signCount,
                                challenge: loginChallenge, policy: Self.policy) == .success(0))
        #expect(assertionError(assertion, key: registration.publicKey, challenge: loginChallenge,
                               policy: WebAuthnPolicy(rpID: "example.com", origins: ["https://example.org"], requireUserVerification: false)) == .rpIDHashMismatch)
        #expect(assertionError(assertion, key: registration.publicKey, challenge: loginChallenge,
                               policy: WebAuthnPolicy(rpID: "example.org", origins: ["https://example.org"], requireUserVerification: true)) == .userNotVerified)
    }

    /// §16 "packed" self attestation, ES256 credential.
    @Test func webAuthnVector_packedSelfES256_registration() throws {
        let registration = try WebAuthnVerifier.verifyRegistration(
            clientDataJSON: hexBytes("7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a2265476e4374334c55745936366b336a506a796e6962506b31716e666644616966715a774c33417032392d55222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a205539685458764b453255526b4d6e625f307859485667227d"),
            attestationObject: hexBytes("a363666d74667061636b65646761747453746d74a263616c672663736967584630440220067a20754ab925005dbf378097c92120031581c73228d1fb4f5b881bcd7da98302207fc7b147558c7c0eba3af18bd9d121fa3d3a26d17fe3f220272178f473b6006d68617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b55d00000000df850e09db6afbdfab51697791506cfc0020455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58ca5010203262001215820eb151c8176b225cc651559fecf07af450fd85802046656b34c18f6cf193843c5225820927b8aa427a2be1b8834d233a2d34f61f13bfd44119c325d5896e183fee484f2"),
            expectedChallenge: hexBytes("7869c2b772d4b58eba9378cf8f29e26cf935aa77df0da89fa99c0bdc0a76f7e5"),
            policy: Self.policy)
        #expect(registration.attestationFormat == "packed")
        #expect(registration.credentialID == hexBytes("455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58c"))
        #expect(registration.userVerified)
    }
}

/// Assertions signed by Python `cryptography` 48.0 with non-ES256 keys: challenge 00…1f, sign count 7,
/// flags UP|UV, RP ID example.org. The Ed25519 key is RFC 8032 §7.1 TEST 1.
@Suite struct WebAuthnOtherAlgorithmTests {
    static let policy = WebAuthnPolicy(rpID: "example.org", origins: ["https://example.org"], requireUserVerification: true)
    static let challenge: [UInt8] = Array(0..<32)
    static let clientDataJSON = hexBytes("7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a2241414543417751464267634943516f4c4441304f4478415245684d554652595847426b6147787764486838222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d")
    static let authenticatorData = hexBytes("bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50500000007")

    static func verify(_ key: COSEKey, signature: [UInt8], stored: UInt32 = 6) -> Result<UInt32, WebAuthnError> {
        assertionResult((clientDataJSON, authenticatorData, signature), key: key, storedSignCount: stored, challenge: challenge, policy: policy)
    }

    @Test func webAuthnAssertion_edDSA() {
        let key = COSEKey.ed25519(x: hexBytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let signature = hexBytes("d043a49de85f3b5faabfe2dd1fb3342129aba7528ee55e9f93381ed2394ca3369bd3fae82c3064b0b91f3cf7653b81da0314a417910cdf7095e6bc3ba12f5700")
        #expect(Self.verify(key, signature: signature) == .success(7))
        #expect(Self.verify(key, signature: flipped(signature, at: 0)) == .failure(.invalidSignature))
        #expect(Self.verify(key, signature: signature, stored: 7) == .failure(.possibleClone(stored: 7, received: 7)))
    }

    @Test func webAuthnAssertion_rs256() {
        let key = COSEKey.rsa(
            n: hexBytes("acb75ec6be677f873f17abd66e42702e5ac54da34b09cc4da036495c4241d22a6aba1d8bb463fc03bd1b3182380a70bb7a8a3765ce33a28738c942d3124873f5d6e67d492c6654bdf78b5982ede29d38184e74716745077c500ab2d2d28711f002057bb2bea6644ebf748c24a71018afd63e3739dc3a6256feecf9830bd34ee3acc222358baec3412693310c8e96c0c491fedd2a9cfc822255777d50ae2379d63e00aa8dbf05608152a6a95d46058677827f7358af3f4492e9cda64343dbbc6309de43aff184deed19b115c0afdb528187368dde076ee5b5f7884bff5fc9788221ebede19f699da0116b984bf10599e00c1e35d93509513aa05b9f52794ba007"),
            e: [0x01, 0x00, 0x01])
        let signature = hexBytes("a1978309ba1eaa2d8adc5abe9471fe4f05cdfe44e697ddcf36d46329881f6cf7dcd1e5fbdd3ad63d2cfdadb86f8195f968fd702a0fe3f157d7a754ec78493b8f297e8b101ec3f349da07464b031ce63785da0d132bebbd294077b9adef82ce81a5e5b9c66df397cff73c56c744af2e813e297802f060a5ac3bab038bb5d8af14de2f68181deb34e4c9452cd9a41b9ed2145f80a71ecc4249903f316679f95ac789d7293c6ca5c8b8a8058d981d89f7686f99787677cad57b3f4c5b8da631d328e05a37ec064609bc58913b9bcfb83b7cc5cdc646eaa631bac2cfd0bf791cd45cd414fcd8357d07f286289f469b53243b10a5d23a405a2dad23a5d6f00a2c9a32")
        #expect(Self.verify(key, signature: signature) == .success(7))
        #expect(Self.verify(key, signature: flipped(signature, at: 255)) == .failure(.invalidSignature))
    }
}

/// Lower-case hex to bytes (test vectors).
private func hexBytes(_ string: String) -> [UInt8] {
    let digits = Array(string.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}
