import FluxerCrypto
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// A software authenticator plus client: produces real clientDataJSON, attestation objects and
/// assertions with a P-256 key made by OpenSSL, and lets a test bend any field it produces.
final class SoftAuthenticator {
    static let rpID = "example.org"
    static let origin = "https://example.org"

    /// Authenticator-data flags (WebAuthn §6.1).
    enum Flag {
        static let up: UInt8 = 0x01, uv: UInt8 = 0x04, be: UInt8 = 0x08, bs: UInt8 = 0x10, at: UInt8 = 0x40, ed: UInt8 = 0x80
    }

    /// What goes into `attStmt`.
    enum Attestation {
        case none
        case packedSelf(alg: Int = COSEKey.es256)
        case packedWithCertificates
        case custom(format: String, statement: CBORValue)
    }

    let key = P256SoftKey()
    let credentialID: [UInt8]
    let aaguid: [UInt8] = Array(0..<16)
    var signCount: UInt32 = 0

    init(credentialID: [UInt8] = SecureRandom.bytes(32)) {
        self.credentialID = credentialID
    }

    static func policy(requireUserVerification: Bool = false, origins: [String] = [origin],
                       algorithms: [Int] = [COSEKey.es256, COSEKey.edDSA, COSEKey.rs256]) -> WebAuthnPolicy {
        WebAuthnPolicy(rpID: rpID, origins: origins, requireUserVerification: requireUserVerification, algorithms: algorithms)
    }

    /// clientDataJSON as browsers serialize it (WebAuthn §5.8.1.1), with optional extra members.
    static func clientData(type: String, challenge: [UInt8], origin: String = origin, extra: String = "") -> [UInt8] {
        let json = #"{"type":"\#(type)","challenge":"\#(Base64URL.encode(challenge))","origin":"\#(origin)","crossOrigin":false\#(extra)}"#
        return Array(json.utf8)
    }

    /// rpIdHash ‖ flags ‖ signCount ‖ [attested credential data] ‖ [extensions].
    func authenticatorData(rpID: String = rpID, flags: UInt8, signCount: UInt32, attested: Bool,
                           credentialID: [UInt8]? = nil, publicKeyCBOR: [UInt8]? = nil, extensions: CBORValue? = nil) -> [UInt8] {
        var data = SHA256.hash(rpID) + [flags]
        data += withUnsafeBytes(of: signCount.bigEndian, Array.init)
        if attested {
            let id = credentialID ?? self.credentialID
            data += aaguid + [UInt8(id.count >> 8), UInt8(id.count & 0xFF)] + id
            data += publicKeyCBOR ?? key.coseKeyCBOR
        }
        if let extensions { data += CBOREncoder.encode(extensions) }
        return data
    }

    /// A registration response: (clientDataJSON, attestationObject).
    func register(
        challenge: [UInt8], type: String = "webauthn.create", origin: String = origin, rpID: String = rpID,
        flags: UInt8 = Flag.up | Flag.uv | Flag.at, attestation: Attestation = .none, credentialID: [UInt8]? = nil,
        publicKeyCBOR: [UInt8]? = nil, extensions: CBORValue? = nil, clientDataExtra: String = ""
    ) -> (clientDataJSON: [UInt8], attestationObject: [UInt8]) {
        let clientDataJSON = Self.clientData(type: type, challenge: challenge, origin: origin, extra: clientDataExtra)
        let authData = authenticatorData(rpID: rpID, flags: flags, signCount: signCount, attested: flags & Flag.at != 0,
                                         credentialID: credentialID, publicKeyCBOR: publicKeyCBOR, extensions: extensions)
        return (clientDataJSON, Self.attestationObject(attestation, authData: authData, clientDataJSON: clientDataJSON, key: key))
    }

    static func attestationObject(_ attestation: Attestation, authData: [UInt8], clientDataJSON: [UInt8], key: P256SoftKey) -> [UInt8] {
        let format: String, statement: CBORValue
        switch attestation {
        case .none:
            (format, statement) = ("none", .map([]))
        case .packedSelf(let alg):
            let sig = key.sign(authData + SHA256.hash(clientDataJSON))
            (format, statement) = ("packed", .map([(.text("alg"), .int(alg)), (.text("sig"), .bytes(sig))]))
        case .packedWithCertificates:
            let sig = key.sign(authData + SHA256.hash(clientDataJSON))
            (format, statement) = ("packed", .map([(.text("alg"), .int(-7)), (.text("sig"), .bytes(sig)), (.text("x5c"), .array([.bytes([0x30, 0x00])]))]))
        case let .custom(customFormat, customStatement):
            (format, statement) = (customFormat, customStatement)
        }
        return CBOREncoder.encode(.map([(.text("fmt"), .text(format)), (.text("attStmt"), statement), (.text("authData"), .bytes(authData))]))
    }

    /// An assertion response; the counter advances by one unless `signCount` is given.
    func assert(
        challenge: [UInt8], type: String = "webauthn.get", origin: String = origin, rpID: String = rpID,
        flags: UInt8 = Flag.up | Flag.uv, signCount: UInt32? = nil, clientDataExtra: String = ""
    ) -> (clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]) {
        self.signCount = signCount ?? self.signCount + 1
        let clientDataJSON = Self.clientData(type: type, challenge: challenge, origin: origin, extra: clientDataExtra)
        let authData = authenticatorData(rpID: rpID, flags: flags, signCount: self.signCount, attested: flags & Flag.at != 0)
        return (clientDataJSON, authData, key.sign(authData + SHA256.hash(clientDataJSON)))
    }
}

private func parseError(_ bytes: [UInt8]) -> WebAuthnError? {
    do {
        _ = try AuthenticatorData.parse(bytes)
        return nil
    } catch {
        return error
    }
}

@Suite struct WebAuthnAuthenticatorDataTests {
    let authenticator = SoftAuthenticator()

    @Test func authenticatorData_parsesAttestedCredentialData() throws {
        let bytes = authenticator.authenticatorData(flags: 0x45 | 0x18, signCount: 0x0102_0304, attested: true)
        let parsed = try AuthenticatorData.parse(bytes)
        #expect(parsed.rpIDHash == SHA256.hash("example.org"))
        #expect(parsed.signCount == 0x0102_0304)
        #expect(parsed.userPresent && parsed.userVerified && parsed.backupEligible && parsed.backupState)
        #expect(parsed.attestedCredentialData?.credentialID == authenticator.credentialID)
        #expect(parsed.attestedCredentialData?.aaguid == Array(0..<16))
        #expect(parsed.attestedCredentialData?.publicKey == authenticator.key.coseKey)
        #expect(parsed.attestedCredentialData?.publicKeyCBOR == authenticator.key.coseKeyCBOR)
        #expect(parsed.extensions == nil)
    }

    @Test func authenticatorData_extensionsNeedTheEDFlag() throws {
        let extensions = CBORValue.map([(.text("credProps"), .map([(.text("rk"), .bool(true))]))])
        let withED = authenticator.authenticatorData(flags: 0x41 | 0x80, signCount: 1, attested: true, extensions: extensions)
        #expect(try AuthenticatorData.parse(withED).extensions == extensions)
        #expect(try AuthenticatorData.parse(withED).attestedCredentialData?.publicKeyCBOR == authenticator.key.coseKeyCBOR)
        // Extensions present but ED clear: unaccounted bytes.
        #expect(parseError(authenticator.authenticatorData(flags: 0x41, signCount: 1, attested: true, extensions: extensions)) == .malformedAuthenticatorData)
        // ED set but nothing follows, or something that is not a map.
        #expect(parseError(authenticator.authenticatorData(flags: 0x41 | 0x80, signCount: 1, attested: true)) == .malformedAuthenticatorData)
        #expect(parseError(authenticator.authenticatorData(flags: 0x81, signCount: 1, attested: false, extensions: .array([]))) == .malformedAuthenticatorData)
        #expect(try AuthenticatorData.parse(authenticator.authenticatorData(flags: 0x81, signCount: 1, attested: false, extensions: .map([]))).extensions == .map([]))
    }

    @Test func authenticatorData_truncatedAtEveryLength_refused() {
        let bytes = authenticator.authenticatorData(flags: 0x45, signCount: 7, attested: true)
        for length in 0..<bytes.count {
            #expect(parseError(Array(bytes.prefix(length))) != nil, "length \(length)")
        }
        #expect(parseError(bytes + [0]) == .malformedAuthenticatorData)
    }

    @Test func authenticatorData_credentialIDLength_atLimitAndAbove() {
        #expect(AuthenticatorData.maxCredentialIDBytes == 1023)
        let at = authenticator.authenticatorData(flags: 0x41, signCount: 0, attested: true, credentialID: [UInt8](repeating: 7, count: 1023))
        #expect(parseError(at) == nil)
        let above = authenticator.authenticatorData(flags: 0x41, signCount: 0, attested: true, credentialID: [UInt8](repeating: 7, count: 1024))
        #expect(parseError(above) == .invalidCredentialIDLength)
        let empty = authenticator.authenticatorData(flags: 0x41, signCount: 0, attested: true, credentialID: [])
        #expect(parseError(empty) == .invalidCredentialIDLength)
        // A declared 0xFFFF with nothing behind it is refused on the limit, not read.
        #expect(parseError(SHA256.hash("example.org") + [0x41, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 16) + [0xFF, 0xFF]) == .invalidCredentialIDLength)
    }

    @Test func authenticatorData_unsupportedKey_refused() {
        let p384 = CBOREncoder.encode(.map([(.int(1), .int(2)), (.int(3), .int(-35)), (.int(-1), .int(2)),
                                            (.int(-2), .bytes([UInt8](repeating: 1, count: 48))), (.int(-3), .bytes([UInt8](repeating: 2, count: 48)))]))
        #expect(parseError(authenticator.authenticatorData(flags: 0x41, signCount: 0, attested: true, publicKeyCBOR: p384)) == .unsupportedPublicKey)
        #expect(parseError(authenticator.authenticatorData(flags: 0x41, signCount: 0, attested: true, publicKeyCBOR: [0xA5, 0x01])) == .malformedAuthenticatorData)
    }

    @Test func authenticatorData_sizeLimit() {
        #expect(parseError([UInt8](repeating: 0, count: 36)) == .malformedAuthenticatorData)
        #expect(parseError([UInt8](repeating: 0, count: 37)) == nil)
        #expect(parseError([UInt8](repeating: 0, count: AuthenticatorData.maxBytes + 1)) == .malformedAuthenticatorData)
    }
}
