import Testing
import FluxerDomain

/// What `/_dev/outbox` lifts out of message bodies for developers and tests.
@Suite struct OutboxBodyScanTests {
    @Test(arguments: [
        ("Enter this code:\n\nAB3D-9XYZ\n\nIt works once.", ["AB3D-9XYZ"]),
        ("Code AB3D-9XYZ.", ["AB3D-9XYZ"]),
        ("data-only and self-help are words, ab3d-9xyz is not capitals", [String]()),
        ("ABCD-EFGH-IJKL is longer, XABCD-EFGH too", []),
        ("Your code is 123456", ["123456"]),
    ])
    func codes(body: String, expected: [String]) {
        #expect(OutboxBodyScan(body).codes == expected)
    }
}
