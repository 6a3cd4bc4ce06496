/// One member of a PATCH body where `null` means something: absent (leave it as it is), `null` (clear it) or a
/// value.
package enum PatchField<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    /// The value to store, given the current one.
    package func applied(to current: Value?) -> Value? {
        switch self {
        case .absent: current
        case .null: nil
        case .value(let value): value
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a member that may be absent, `null` or a `T`.
    package func patch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> PatchField<T> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(T.self, forKey: key))
    }
}
