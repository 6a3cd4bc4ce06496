/// A key for a value that one stage of a request (the router's filter) hands to later ones (the fast path, the
/// worker filter, the handler). The key's type fixes the value's type, so a read needs no cast where it is
/// used; the server never looks inside. An application declares its own keys:
///
/// ```swift
/// enum CallerKey: RequestStorageKey { typealias Value = Caller }
/// extension HTTPRequest { var caller: Caller? { self[CallerKey.self] } }
/// ```
public protocol RequestStorageKey {
    /// The value stored under this key.
    associatedtype Value: Sendable
}

/// The values attached to one request, keyed by key type (swift-nio's and Vapor's `Storage` pattern). Most
/// requests carry one value, which is held inline: no allocation beyond the value's own.
struct RequestStorage: Sendable {
    private struct Entry: Sendable {
        let key: ObjectIdentifier
        var value: any Sendable
    }

    private var first: Entry?
    private var rest: [Entry] = []

    init() {}

    subscript<Key: RequestStorageKey>(_ key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            // The value was stored under `Key`, whose `Value` is its type: the cast always succeeds.
            if let first, first.key == id { return first.value as? Key.Value }
            return rest.first { $0.key == id }?.value as? Key.Value
        }
        set {
            let id = ObjectIdentifier(key)
            if first == nil || first?.key == id {
                first = newValue.map { Entry(key: id, value: $0) }
            } else if let index = rest.firstIndex(where: { $0.key == id }) {
                if let newValue { rest[index].value = newValue } else { rest.remove(at: index) }
            } else if let newValue {
                rest.append(Entry(key: id, value: newValue))
            }
        }
    }
}
