@testable import FluxerATProto
import FluxerCrypto
import Foundation
import Testing

/// The pending state, the callback's parsing, the errors' kinds and reasons, and the configuration checks.
@Suite struct ATProtoPendingTests {
    static func pending(expectedDID: String? = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", nonce: String? = "n") -> ATProtoPending {
        ATProtoPending(issuer: "https://bsky.social", state: "s", expectedDID: expectedDID, tokenEndpoint: "https://bsky.social/oauth/token",
                       codeVerifier: String(repeating: "v", count: 43), dpopKeyDER: P256SoftKey().privateKeyDER, dpopNonce: nonce,
                       redirectURI: "https://a.example/cb", createdAt: 1_700_000_000)
    }

    @Test func serialized_roundTrips_withAndWithoutOptionalMembers() throws {
        for pending in [Self.pending(), Self.pending(expectedDID: nil, nonce: nil)] {
            #expect(try ATProtoPending(serialized: pending.serialized) == pending)
        }
        #expect(Self.pending().serialized.hasPrefix(#"{"v":1,"issuer":"https://bsky.social""#))
    }

    @Test func serialized_refusesDamage() {
        let good = Self.pending().serialized
        for bad in ["", "{}", "[]", good.replacingOccurrences(of: #""v":1"#, with: #""v":2"#),
                    good.replacingOccurrences(of: #""dpop_key":""#, with: #""dpop_key":"AAAA"#),
                    good.replacingOccurrences(of: "{", with: #"{"v":1,"#),
                    String(repeating: " ", count: ATProtoPending.maxSerializedBytes) + good] {
            #expect(error { try ATProtoPending(serialized: bad) } == .invalidPending)
        }
    }

    @Test func callback_parsesTheRedirectQuery() throws {
        let callback = try #require(ATProtoCallback(query: "code=c%2B1&state=s&iss=https%3A%2F%2Fbsky.social"))
        #expect(callback == ATProtoCallback(code: "c+1", state: "s", iss: "https://bsky.social"))
        #expect(ATProtoCallback(query: "error=access_denied&state=s")?.error == "access_denied")
        #expect(ATProtoCallback(query: "code=a&code=b") == nil)
        #expect(ATProtoCallback(query: "code=%zz") == nil)
    }

    @Test func errors_haveKindsAndStableUniqueReasons() {
        let badInput: [ATProtoError] = [.invalidIdentifier, .handleNotResolved, .didNotFound, .handleNotVerified, .noPDS, .invalidPending]
        let upstream: [ATProtoError] = [.transport(.token, .timedOut), .transport(.token, .tooLarge), .transport(.token, .addressNotAllowed),
                                        .transport(.token, .unreachable("x")), .badStatus(.token, 500), .malformed(.token), .oversized(.token),
                                        .invalidMetadata(.parNotRequired), .dpopNonceRetryFailed(.token), .oauthError(.token, code: "invalid_client")]
        let refused: [ATProtoError] = [.authorizationDenied, .issuerMismatch, .stateMismatch, .pendingExpired, .grantRefused, .tokenTypeNotDPoP,
                                       .subjectNotDID, .scopeLacksATProto, .subjectMismatch, .subjectNotResolvable, .subjectIssuerMismatch]
        #expect(badInput.allSatisfy { $0.kind == .badInput })
        #expect(upstream.allSatisfy { $0.kind == .upstream && $0.step != nil })
        #expect(refused.allSatisfy { $0.kind == .refused && $0.step == nil })
        let reasons = (badInput + refused).map(\.reason)
        #expect(Set(reasons).count == reasons.count)
        #expect((badInput + upstream + refused).allSatisfy { $0.reason.allSatisfy { $0.isLowercase || $0 == "_" } })
        #expect(ATProtoError.transport(.token, .unreachable("secret detail")).description == "upstream_unreachable (token)")
        #expect(ATProtoError.badStatus(.pushedAuthorization, 502).description == "upstream_status (pushed_authorization, HTTP 502)")
        #expect(ATProtoError.invalidMetadata(.resourceMismatch).step == .protectedResource)
    }

    @Test func oauthErrorCodes_areSanitized() {
        #expect(ATProtoJSON.sanitizedCode("invalid_client") == "invalid_client")
        #expect(ATProtoJSON.sanitizedCode("Invalid Client <script>") == "other")
        #expect(ATProtoJSON.sanitizedCode(String(repeating: "a", count: 65)) == "other")
        #expect(ATProtoJSON.sanitizedCode(nil) == "other")
    }

    @Test func configuration_refusesUnusableSettings_namingTheKey() {
        let key = ATProtoClientKey(id: "k", key: P256SoftKey())
        func make(_ change: (inout ATProtoClientConfiguration) -> Void) -> String? {
            var configuration = ATProtoClientConfiguration(
                clientID: "https://a.example/client-metadata.json", clientName: "A", redirectURI: "https://a.example/cb",
                jwksURI: "https://a.example/jwks.json", signingKey: key)
            change(&configuration)
            do {
                _ = try ATProtoOAuthClient(configuration: configuration, transport: ScriptedTransport(), txtResolver: StaticTXT())
                return nil
            } catch {
                return error.key
            }
        }
        #expect(make { _ in } == nil)
        #expect(make { $0.clientID = "http://a.example/client-metadata.json" } == "client_id")
        #expect(make { $0.redirectURI = "not a url" } == "redirect_uri")
        #expect(make { $0.scope = "transition:generic" } == "scope")
        #expect(make { $0.plcDirectory = "ftp://plc" } == "plc_directory")
        #expect(make { $0.handleResolver = "http://resolver.example" } == "handle_resolver")
        #expect(make { $0.handleResolver = "" } == nil)
        #expect(make { $0.service = "https://bsky.social/path" } == "service")
        #expect(make { $0.developmentOrigins = ["http://devbox:8080/path"] } == "development_origins")
        #expect(make { $0.developmentOrigins = ["http://devbox:8080"]; $0.service = "http://devbox:8080/_dev/atproto" } == nil)
    }
}
