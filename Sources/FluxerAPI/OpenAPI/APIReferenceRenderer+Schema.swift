import FluxerJSON

/// JSON Schema (OpenAPI 3.1 dialect) as HTML: a one-line type with links for `$ref`s, its constraints, and inline
/// objects as nested property tables.
extension APIReferenceRenderer {
    /// The deepest inline object drawn as a nested table; below it only its type is shown.
    static let maxDepth = 5
    /// Enum values listed inline up to this many; longer lists fold into a `<details>`.
    static let inlineEnumLimit = 12

    /// A type on one line: a link for a `$ref`, `array of …`, alternatives joined by `|`, `allOf` by `&`.
    func typeLabel(_ schema: JSONValue) -> String {
        if let target = schema["$ref"]?.stringValue {
            let name = target.split(separator: "/").last.map(String.init) ?? target
            return "<a href=\"#\(anchor("schema", name))\">\(escape(name))</a>"
        }
        if let alternatives = schema["anyOf"] ?? schema["oneOf"] {
            return alternatives.arrayItems.map(typeLabel).joined(separator: " | ")
        }
        if let parts = schema["allOf"] { return parts.arrayItems.map(typeLabel).joined(separator: " &amp; ") }
        var types: [String]
        switch schema["type"] {
        case .string(let type)?: types = [type]
        case .array(let list)?: types = list.compactMap(\.stringValue)
        default: types = []
        }
        if types.isEmpty {
            types = [schema["properties"] != nil ? "object" : schema["enum"] != nil || schema["const"] != nil ? "value" : "any"]
        }
        return types.map { type in
            type == "array" ? "array of " + typeLabel(schema["items"] ?? .object([])) : "<code>\(escape(type))</code>"
        }.joined(separator: " | ")
    }

    /// Format, bounds, pattern, default and enum values, after the type. `full` (a component schema's own
    /// section) lists enum values with their descriptions.
    func constraints(_ schema: JSONValue, full: Bool = false) -> String {
        var facts: [String] = []
        if let format = schema["format"]?.stringValue { facts.append("format <code>\(escape(format))</code>") }
        let bounds = [("minLength", "min length"), ("maxLength", "max length"), ("minimum", "minimum"), ("maximum", "maximum"),
                      ("minItems", "min items"), ("maxItems", "max items")]
        for (key, label) in bounds {
            if let value = schema[key] { facts.append("\(label) \(escape(value.serialized))") }
        }
        if let pattern = schema["pattern"]?.stringValue { facts.append("pattern <code>\(escape(pattern))</code>") }
        if let value = schema["default"] { facts.append("default <code>\(escape(value.serialized))</code>") }
        if let value = schema["const"] { facts.append("always <code>\(escape(value.serialized))</code>") }
        var out = facts.isEmpty ? "" : "<br><span class=\"muted\">" + facts.joined(separator: ", ") + "</span>"
        if let values = schema["enum"]?.arrayItems, !values.isEmpty {
            out += enumValues(values, descriptions: schema["x-enumDescriptions"]?.arrayItems ?? [], full: full)
        }
        return out
    }

    func enumValues(_ values: [JSONValue], descriptions: [JSONValue], full: Bool) -> String {
        let texts = values.map { $0.stringValue ?? $0.serialized }
        if full && descriptions.count == texts.count {
            let rows = zip(texts, descriptions).map { value, description in
                "<tr><td><code>\(escape(value))</code></td><td>\(prose(description.stringValue))</td></tr>"
            }
            return "<table><tr><th>Value</th><th>Meaning</th></tr>\(rows.joined())</table>"
        }
        let codes = texts.map { "<code>\(escape($0))</code>" }
        if codes.count <= Self.inlineEnumLimit { return "<br>one of " + codes.joined(separator: ", ") }
        return "<details><summary>one of \(codes.count) values</summary><ul class=\"values\">"
            + codes.map { "<li>\($0)</li>" }.joined() + "</ul></details>"
    }

    /// A schema on its own (after its media type, when it is a body): its type and constraints, its description,
    /// then its inline structure.
    func schemaBlock(_ schema: JSONValue, depth: Int, full: Bool = false, mediaType: String? = nil) -> String {
        let lead = mediaType.map { "<code>\(escape($0))</code>: " } ?? ""
        return "<p>\(lead)\(typeLabel(schema))\(constraints(schema, full: full))</p>" + prose(schema["description"]?.stringValue)
            + nested(schema, depth: depth)
    }

    /// What a schema holds inline (a `$ref` is a link, never expanded): property tables, the inline parts of
    /// `allOf`/`anyOf`/`oneOf`, array items, additional properties.
    func nested(_ schema: JSONValue, depth: Int) -> String {
        guard depth <= Self.maxDepth, schema["$ref"] == nil else { return "" }
        var out = ""
        if schema["properties"] != nil { out += propertyTable(schema, depth: depth) }
        for key in ["allOf", "anyOf", "oneOf"] {
            for part in schema[key]?.arrayItems ?? [] where part["$ref"] == nil {
                let inner = nested(part, depth: depth + 1)
                if !inner.isEmpty { out += inner }
            }
        }
        if let items = schema["items"], items["$ref"] == nil {
            let inner = nested(items, depth: depth + 1)
            if !inner.isEmpty { out += "<p class=\"muted\">Each item:</p>" + inner }
        }
        if let extra = schema["additionalProperties"], extra != .bool(true), extra != .bool(false) {
            out += "<p class=\"muted\">Any other member: \(typeLabel(extra))</p>"
        } else if schema["additionalProperties"] == .bool(false) {
            out += "<p class=\"muted\">No other member.</p>"
        }
        return out
    }

    func propertyTable(_ schema: JSONValue, depth: Int) -> String {
        let required = Set((schema["required"]?.arrayItems ?? []).compactMap(\.stringValue))
        var out = "<table><tr><th>Member</th><th>Type</th><th>Description</th></tr>"
        for (name, property) in schema["properties"]?.objectMembers ?? [] {
            out += "<tr><td><code>\(escape(name))</code>\(required.contains(name) ? " <span class=\"required\">required</span>" : "")</td>"
                + "<td>\(typeLabel(property))\(constraints(property))</td>"
                + "<td>\(prose(property["description"]?.stringValue))\(nested(property, depth: depth + 1))</td></tr>"
        }
        return out + "</table>"
    }
}
