import Foundation
import Testing

/// The seam holds in both directions: every store in FluxerPersistence/Stores declares the FluxerDomain protocol
/// of its feature, and every function of a store that takes a transaction (`in db: SQLTransaction`) is one of
/// that protocol's requirements (the compiler checks the other direction).
@Suite struct StoreProtocolCoverageTests {
    private static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources").standardizedFileURL

    @Test func everyStoreFunctionIsARequirementOfItsProtocol() throws {
        let stores = Self.sources.appendingPathComponent("FluxerPersistence/Stores")
        let files = try FileManager.default.contentsOfDirectory(atPath: stores.path).filter { $0.hasSuffix("Store.swift") }.sorted()
        #expect(files.count >= 15)
        let enumDecl = try NSRegularExpression(pattern: #"package enum (\w+Store): (\w+Storage) \{"#)
        let function = try NSRegularExpression(pattern: #"package static func (\w+)\(([^{]*?)\{"#, options: [.dotMatchesLineSeparators])
        // WorkerLeaseStore is a struct over a DataStore (its protocol is WorkerLeaseStorage); MaintenanceStore is
        // persistence-only (its sweep rules name tables).
        for file in files where !["WorkerLeaseStore.swift", "MaintenanceStore.swift"].contains(file) {
            let text = try String(contentsOf: stores.appendingPathComponent(file), encoding: .utf8)
            let range = NSRange(text.startIndex..., in: text)
            guard let decl = enumDecl.firstMatch(in: text, range: range), let protoRange = Range(decl.range(at: 2), in: text) else {
                Issue.record("\(file) declares no FluxerDomain storage protocol (`package enum XStore: XStorage {`)")
                continue
            }
            let proto = String(text[protoRange])
            let protocolFile = Self.sources.appendingPathComponent("FluxerDomain/Storage/\(proto).swift")
            let requirements = try String(contentsOf: protocolFile, encoding: .utf8)
            for match in function.matches(in: text, range: range) {
                guard let name = Range(match.range(at: 1), in: text), let signature = Range(match.range(at: 2), in: text),
                      text[signature].contains("in db: SQLTransaction") else { continue }
                #expect(requirements.contains("static func \(text[name])("), "\(file): \(text[name]) is missing from \(proto)")
            }
        }
    }
}
