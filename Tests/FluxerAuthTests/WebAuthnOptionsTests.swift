import FluxerCrypto
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

@Suite struct WebAuthnOptionsTests {
    let policy = WebAuthnPolicy(rpID: "example.org", origins: ["https://example.org"], requireUserVerification: true)

    @Test func webAuthnCreationOptions_shape() {
        let options = WebAuthnVerifier.creationOptions(
            policy: policy, rpName: "Fluxer", userID: [1, 2, 3], userName: "alice", userDisplayName: "Alice",
            challenge: [0xFB, 0xFF], excludeCredentials: [[0xAA]])
        #expect(options["rp"] == ["id": "example.org", "name": "Fluxer"])
        #expect(options["user"] == ["id": "AQID", "name": "alice", "displayName": "Alice"])
        #expect(options["challenge"] == "-_8")
        #expect(options["pubKeyCredParams"] == [["type": "public-key", "alg": -7], ["type": "public-key", "alg": -8], ["type": "public-key", "alg": -257]])
        #expect(options["timeout"] == 300_000)
        #expect(options["excludeCredentials"] == [["type": "public-key", "id": "qg"]])
        #expect(options["authenticatorSelection"]?.serialized == #"{"residentKey":"preferred","requireResidentKey":false,"userVerification":"required"}"#)
        #expect(options["attestation"] == "none")
    }

    @Test func webAuthnRequestOptions_shape() {
        let relaxed = WebAuthnPolicy(rpID: "example.org", origins: [], requireUserVerification: false)
        let options = WebAuthnVerifier.requestOptions(policy: relaxed, challenge: [0, 1], allowCredentials: [[0xAA], [0xBB]])
        #expect(options.serialized == #"{"challenge":"AAE","timeout":300000,"rpId":"example.org","allowCredentials":[{"type":"public-key","id":"qg"},{"type":"public-key","id":"uw"}],"userVerification":"preferred"}"#)
        #expect(WebAuthnVerifier.requestOptions(policy: policy, challenge: [0], allowCredentials: [])["allowCredentials"] == [])
    }

    @Test func webAuthnChallenge_isRandomAndLongEnough() {
        let a = WebAuthnVerifier.makeChallenge(), b = WebAuthnVerifier.makeChallenge()
        #expect(a.count >= 16 && a.count == WebAuthnVerifier.challengeBytes)
        #expect(a != b)
    }

}
