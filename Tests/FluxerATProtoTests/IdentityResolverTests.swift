@testable import FluxerATProto
import FluxerJSON
import Testing

/// Handle → DID → DID document → PDS, with bidirectional handle verification.
@Suite struct IdentityResolverTests {
    let transport = ScriptedTransport()
    let plc = "https://plc.example.com"

    func resolver(txt: [String: [String]] = [:], xrpc: String? = nil, policy: ATProtoURLPolicy = ATProtoURLPolicy()) -> IdentityResolver {
        let fetcher = ATProtoFetcher(transport: transport)
        return IdentityResolver(
            handles: HandleResolver(fetcher: fetcher, txt: StaticTXT(records: txt), xrpcService: xrpc.flatMap(ATProtoURL.init)),
            dids: DIDResolver(fetcher: fetcher, plcDirectory: ATProtoURL(plc)!), policy: policy)
    }

    var handle: ATIdentifier { ATIdentifier("alice.example.com")! }

    @Test func handle_resolvesByDNSTXT_andVerifiesBothWays() throws {
        transport.json(plc + "/" + Documents.alice, Documents.didDocument())
        let identity = try resolver(txt: ["_atproto.alice.example.com": ["v=spf1", "did=" + Documents.alice]]).resolve(handle)
        #expect(identity.did.string == Documents.alice)
        #expect(identity.handle?.string == "alice.example.com")
        #expect(identity.pds.description == Documents.pds)
        #expect(transport.requests.map(\.url) == [plc + "/" + Documents.alice])
    }

    @Test func handle_withConflictingTXTRecords_doesNotResolve() {
        let txt = ["_atproto.alice.example.com": ["did=" + Documents.alice, "did=did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"]]
        #expect(error { try resolver(txt: txt).resolve(handle) } == .handleNotResolved)
    }

    @Test func handle_fallsBackToTheWellKnown_andTrimsIt() throws {
        transport.text("https://alice.example.com/.well-known/atproto-did", Documents.alice + "\n")
        transport.json(plc + "/" + Documents.alice, Documents.didDocument())
        #expect(try resolver().resolve(handle).did.string == Documents.alice)
    }

    @Test func handle_wellKnownFailures_meanTheHandleDoesNotResolve() {
        #expect(error { try resolver().resolve(handle) } == .handleNotResolved)
        transport.text("https://alice.example.com/.well-known/atproto-did", "<html>not a DID</html>")
        #expect(error { try resolver().resolve(handle) } == .handleNotResolved)
        transport.text("https://alice.example.com/.well-known/atproto-did", Documents.alice, status: 302)
        #expect(error { try resolver().resolve(handle) } == .handleNotResolved)
        transport.text("https://alice.example.com/.well-known/atproto-did", Documents.alice + String(repeating: " ", count: HandleResolver.maxWellKnownBytes))
        #expect(error { try resolver().resolve(handle) } == .handleNotResolved)
    }

    @Test func handle_resolvesByXRPC_whenAResolverIsConfigured() throws {
        let xrpc = "https://resolver.example.com"
        transport.json(xrpc + "/xrpc/com.atproto.identity.resolveHandle?handle=alice.example.com", ["did": .string(Documents.alice)])
        transport.json(plc + "/" + Documents.alice, Documents.didDocument())
        #expect(try resolver(txt: ["_atproto.alice.example.com": ["did=did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"]], xrpc: xrpc).resolve(handle).did.string == Documents.alice)
        transport.json(xrpc + "/xrpc/com.atproto.identity.resolveHandle?handle=alice.example.com", ["error": "InvalidRequest"], status: 400)
        #expect(error { try resolver(xrpc: xrpc).resolve(handle) } == .handleNotResolved)
        transport.json(xrpc + "/xrpc/com.atproto.identity.resolveHandle?handle=alice.example.com", [:], status: 500)
        #expect(error { try resolver(xrpc: xrpc).resolve(handle) } == .badStatus(.resolveHandle, 500))
    }

    @Test func handle_notClaimedByItsDIDDocument_isNotVerified() {
        transport.json(plc + "/" + Documents.alice, Documents.didDocument(handle: "someone-else.example.com"))
        let txt = ["_atproto.alice.example.com": ["did=" + Documents.alice]]
        #expect(error { try resolver(txt: txt).resolve(handle) } == .handleNotVerified)
    }

    @Test func didDocument_aboutAnotherSubject_isMalformed() {
        transport.json(plc + "/" + Documents.alice, Documents.didDocument("did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"))
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .malformed(.resolveDID))
    }

    @Test func didDocument_missingOrTombstoned_isNotFound() {
        transport.json(plc + "/" + Documents.alice, ["message": "DID not registered"], status: 404)
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .didNotFound)
        transport.json(plc + "/" + Documents.alice, [:], status: 410)
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .didNotFound)
    }

    @Test(arguments: [
        Documents.didDocument(serviceID: "#atproto_labeler"),
        Documents.didDocument(type: "SomethingElse"),
        Documents.didDocument(pds: "http://pds.example.com"),
        Documents.didDocument(pds: "https://pds.example.com/path"),
        Documents.didDocument(pds: "not a url"),
    ])
    func didDocument_withoutAUsablePDS_isRefused(_ document: JSONValue) {
        transport.json(plc + "/" + Documents.alice, document)
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .noPDS)
    }

    @Test func didDocument_acceptsTheAbsoluteServiceID_andMapEndpointsNeverMatch() throws {
        transport.json(plc + "/" + Documents.alice, Documents.didDocument(serviceID: Documents.alice + "#atproto_pds"))
        #expect(try resolver().resolve(did: ATProtoDID(Documents.alice)!).pds.description == Documents.pds)
        transport.json(plc + "/" + Documents.alice, [
            "id": .string(Documents.alice),
            "service": [["id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": ["uri": "https://pds.example.com"]]],
        ])
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .noPDS)
    }

    @Test func did_keepsItsHandleOnlyWhenTheHandleResolvesBack() throws {
        transport.json(plc + "/" + Documents.alice, Documents.didDocument())
        #expect(try resolver().resolve(did: ATProtoDID(Documents.alice)!).handle == nil)
        let txt = ["_atproto.alice.example.com": ["did=" + Documents.alice]]
        #expect(try resolver(txt: txt).resolve(did: ATProtoDID(Documents.alice)!).handle?.string == "alice.example.com")
        let elsewhere = ["_atproto.alice.example.com": ["did=did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"]]
        #expect(try resolver(txt: elsewhere).resolve(did: ATProtoDID(Documents.alice)!).handle == nil)
    }

    @Test func didWeb_isFetchedFromItsHost_httpOnlyForLocalhost() throws {
        transport.json("https://web.example.com/.well-known/did.json", Documents.didDocument("did:web:web.example.com", handle: nil))
        #expect(try resolver().resolve(did: ATProtoDID("did:web:web.example.com")!).did.string == "did:web:web.example.com")
        transport.json("http://localhost:8080/.well-known/did.json",
                       Documents.didDocument("did:web:localhost%3A8080", handle: nil, pds: "http://localhost:8080"))
        #expect(try resolver().resolve(did: ATProtoDID("did:web:localhost%3A8080")!).pds.description == "http://localhost:8080")
    }

    @Test func didDocument_malformedDuplicateOrOversized_isAnUpstreamError() {
        transport.text(plc + "/" + Documents.alice, #"{"id":"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa","id":"did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"}"#)
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .malformed(.resolveDID))
        transport.text(plc + "/" + Documents.alice, "{\"id\": ")
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .malformed(.resolveDID))
        let padding = String(repeating: " ", count: ATProtoJSON.maxDocumentBytes)
        transport.text(plc + "/" + Documents.alice, Documents.didDocument().serialized + padding)
        #expect(error { try resolver().resolve(.did(ATProtoDID(Documents.alice)!)) } == .oversized(.resolveDID))
    }

    @Test func documentLimit_atLimitIsRead() throws {
        let body = Documents.didDocument().serialized
        let padded = body + String(repeating: " ", count: ATProtoJSON.maxDocumentBytes - body.utf8.count)
        #expect(padded.utf8.count == ATProtoJSON.maxDocumentBytes)
        transport.text(plc + "/" + Documents.alice, padded)
        #expect(try resolver().resolve(did: ATProtoDID(Documents.alice)!).did.string == Documents.alice)
    }
}
