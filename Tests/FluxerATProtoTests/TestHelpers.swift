@testable import FluxerATProto
import FluxerJSON
import Foundation
import Testing

/// TXT records from a table.
struct StaticTXT: ATProtoTXTResolver {
    var records: [String: [String]] = [:]
    func txtRecords(_ name: String) throws -> [String] { records[name] ?? [] }
}

/// `try` a throwing call and return its `ATProtoError`, or nil when it succeeded (any other error is an issue).
func error<T>(_ body: () throws -> T) -> ATProtoError? {
    do {
        _ = try body()
        return nil
    } catch let failure as ATProtoError {
        return failure
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// A JSON object's members from bytes (Foundation, for reading what the module wrote).
func object(_ bytes: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
}

func object(_ json: JSONValue) -> [String: Any] { object(json.bytes) }
