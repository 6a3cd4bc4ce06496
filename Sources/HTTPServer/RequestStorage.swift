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

/// The values attached to one request, keyed by key type (swift-nio's and Vapor's `Storage` pattern). Each value
/// lives in a small box of its own type; a read finds the box by the key's identity and, since a key fixes its
/// value's type, takes the value out without a dynamic cast (which costs more than the rest of the lookup).
@usableFromInline
struct RequestStorage: Sendable {
    @usableFromInline final class Box<Value: Sendable>: @unchecked Sendable {
        // Immutable after init: a write replaces the box, so a request copy that shares it never sees a change.
        @usableFromInline let value: Value
        @inlinable init(_ value: Value) { self.value = value }
    }

    @usableFromInline struct Entry: Sendable {
        @usableFromInline let key: ObjectIdentifier
        // Always a `Box<Key.Value>` for the key whose identity is `key` (see `subscript`).
        @usableFromInline var box: AnyObject & Sendable
        @inlinable init(key: ObjectIdentifier, box: AnyObject & Sendable) {
            self.key = key
            self.box = box
        }
    }

    @usableFromInline var first: Entry?
    @usableFromInline var rest: [Entry] = []

    @inlinable init() {}

    @inlinable
    subscript<Key: RequestStorageKey>(_ key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            let box: (AnyObject & Sendable)?
            if let first, first.key == id { box = first.box } else { box = rest.first { $0.key == id }?.box }
            // Stored under `Key` only ever as `Box<Key.Value>`: the downcast cannot fail.
            return box.map { unsafeDowncast($0, to: Box<Key.Value>.self).value }
        }
        set {
            let id = ObjectIdentifier(key)
            let box = newValue.map { Box($0) as AnyObject & Sendable }
            if first == nil || first?.key == id {
                first = box.map { Entry(key: id, box: $0) }
            } else if let index = rest.firstIndex(where: { $0.key == id }) {
                if let box { rest[index].box = box } else { rest.remove(at: index) }
            } else if let box {
                rest.append(Entry(key: id, box: box))
            }
        }
    }
}
