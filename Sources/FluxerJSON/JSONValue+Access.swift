extension JSONValue {
    /// The string, if this is one.
    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, if this is one.
    package var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The items of an array; empty for anything else.
    package var arrayItems: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    /// The members of an object in order; empty for anything else.
    package var objectMembers: [(String, JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }
}
