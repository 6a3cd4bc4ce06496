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

/// A member that may be left out but is never `null` (the document types it without `null`): synthesized
/// `Decodable` reads an absent key as nil and refuses `null` with a 400 naming the member, where a plain optional
/// would take `null` for "left out".
@propertyWrapper
package struct NonNull<Value: Decodable & Sendable>: Decodable, Sendable {
    package var wrappedValue: Value?

    package init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    package init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(Value.self)
    }
}

extension KeyedDecodingContainer {
    /// Synthesized `Decodable` calls this for a `@NonNull` member: absent is nil, `null` is refused.
    package func decode<T>(_ type: NonNull<T>.Type, forKey key: Key) throws -> NonNull<T> {
        guard contains(key) else { return NonNull(wrappedValue: nil) }
        return try NonNull(from: superDecoder(forKey: key))
    }
}
