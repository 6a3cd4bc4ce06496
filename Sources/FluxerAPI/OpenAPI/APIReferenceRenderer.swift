import FluxerJSON

/// Walks the document once and writes the page.
struct APIReferenceRenderer {
    let document: JSONValue
    let components: JSONValue

    /// HTTP methods in the order a path's operations are shown.
    static let methods = ["get", "put", "post", "patch", "delete"]

    /// One operation: where it is and what the document says of it.
    struct Operation {
        var method: String
        var path: String
        var body: JSONValue
        var id: String { body["operationId"]?.stringValue ?? "\(method)-\(path)" }
    }

    init(document: JSONValue) {
        self.document = document
        components = document["components"] ?? .object([])
    }

    func page() -> String {
        let info = document["info"] ?? .object([])
        let title = info["title"]?.stringValue ?? "API"
        let groups = operationsByTag()
        var out = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>\(escape(title)) reference</title>
            <style>\(APIReferencePage.style)</style>
            </head>
            <body>
            <main>
            <p class="brand">Fluxer</p>
            <h1>\(escape(title))</h1>
            <p class="muted">Version \(escape(info["version"]?.stringValue ?? "")) · OpenAPI \(escape(document["openapi"]?.stringValue ?? "")) · \
            <a href="openapi.json">openapi.json</a></p>
            \(prose(info["description"]?.stringValue))
            \(servers())
            <nav class="card" aria-label="Contents"><strong>Contents</strong>
            """
        for group in groups {
            out += "<h4><a href=\"#\(anchor("tag", group.tag))\">\(escape(group.tag))</a></h4><ul>"
            for op in group.operations {
                out += "<li><a href=\"#\(anchor("op", op.id))\"><code>\(op.method.uppercased()) \(escape(op.path))</code></a> "
                    + "\(escape(op.body["summary"]?.stringValue ?? ""))</li>"
            }
            out += "</ul>"
        }
        out += "<h4><a href=\"#security-schemes\">Security schemes</a> · <a href=\"#schemas\">Schemas</a></h4></nav>\n"
        for group in groups {
            out += "<h2 id=\"\(anchor("tag", group.tag))\">\(escape(group.tag))</h2>\n\(prose(group.description))\n"
            for op in group.operations { out += operation(op) }
        }
        out += securitySchemes() + schemas() + "</main>\n</body>\n</html>\n"
        return out
    }

    func servers() -> String {
        let items = (document["servers"]?.arrayItems ?? []).map { server in
            "<li><code>\(escape(server["url"]?.stringValue ?? ""))</code> \(prose(server["description"]?.stringValue, inline: true))</li>"
        }
        return items.isEmpty ? "" : "<p><strong>Servers</strong></p><ul>\(items.joined())</ul>"
    }

    /// Operations under their first tag, tags in the document's order (then any others, then untagged).
    func operationsByTag() -> [(tag: String, description: String?, operations: [Operation])] {
        var all: [Operation] = []
        for (path, item) in document["paths"]?.objectMembers ?? [] {
            for method in Self.methods {
                if let body = item[method] { all.append(Operation(method: method, path: path, body: body)) }
            }
        }
        let declared = (document["tags"]?.arrayItems ?? []).compactMap { tag in
            tag["name"]?.stringValue.map { ($0, tag["description"]?.stringValue) }
        }
        func tag(of op: Operation) -> String { op.body["tags"]?.arrayItems.first?.stringValue ?? "Other" }
        var names = declared.map(\.0)
        for op in all where !names.contains(tag(of: op)) { names.append(tag(of: op)) }
        return names.compactMap { name in
            let ops = all.filter { tag(of: $0) == name }
            return ops.isEmpty ? nil : (name, declared.first { $0.0 == name }?.1, ops)
        }
    }

    func operation(_ op: Operation) -> String {
        let body = op.body
        var badges: [String] = []
        if body["x-fluxer-auth-dev-only"]?.boolValue == true { badges.append("<span class=\"badge dev\">dev mode only</span>") }
        if body["deprecated"]?.boolValue == true { badges.append("<span class=\"badge\">deprecated</span>") }
        var out = """
            <section class="card" id="\(anchor("op", op.id))">
            <h3><span class="method \(op.method)">\(op.method.uppercased())</span><span class="path">\(escape(op.path))</span>\(badges.joined())</h3>
            <p><strong>\(escape(body["summary"]?.stringValue ?? ""))</strong> <span class="muted">operationId <code>\(escape(op.id))</code></span></p>
            \(prose(body["description"]?.stringValue))
            """
        if let condition = body["x-fluxer-auth-registered-when"]?.stringValue {
            out += "<p class=\"muted\">Served only with \(prose(condition, inline: true)).</p>"
        }
        out += "<h4>Security</h4><p>\(security(body["security"]))</p>"
        let parameters = (body["parameters"]?.arrayItems ?? []).map { resolved($0, kind: "parameters").value }
        if !parameters.isEmpty { out += "<h4>Parameters</h4>" + parameterTable(parameters) }
        if let request = body["requestBody"] { out += requestBody(resolved(request, kind: "requestBodies").value) }
        out += "<h4>Responses</h4>" + responses(body["responses"] ?? .object([]))
        if let codes = body["x-fluxer-auth-error-codes"]?.arrayItems, !codes.isEmpty {
            out += "<h4>Error codes</h4><p>" + codes.compactMap(\.stringValue).map(errorCode).joined(separator: " ") + "</p>"
        }
        if let note = document["x-fluxer-auth-notes"]?[op.id] { out += serverNote(note) }
        return out + "</section>\n"
    }

    /// Alternatives joined by "or"; the schemes of one alternative all apply. Absent: the operation is public.
    func security(_ requirements: JSONValue?) -> String {
        guard let requirements else { return "None: no credential." }
        let alternatives = requirements.arrayItems.map { requirement -> String in
            let schemes = requirement.objectMembers.map { name, scopes in
                let scopeText = scopes.arrayItems.compactMap(\.stringValue)
                return "<a href=\"#\(anchor("security", name))\">\(escape(name))</a>"
                    + (scopeText.isEmpty ? "" : " (scope " + scopeText.map { "<code>\(escape($0))</code>" }.joined(separator: ", ") + ")")
            }
            return schemes.isEmpty ? "no credential" : schemes.joined(separator: " + ")
        }
        return alternatives.isEmpty ? "None: no credential." : alternatives.joined(separator: " <em>or</em> ")
    }

    func parameterTable(_ parameters: [JSONValue]) -> String {
        var out = "<table><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr>"
        for p in parameters {
            let schema = p["schema"] ?? .object([])
            out += "<tr><td><code>\(escape(p["name"]?.stringValue ?? ""))</code>"
                + (p["required"]?.boolValue == true ? " <span class=\"required\">required</span>" : "")
                + "</td><td>\(escape(p["in"]?.stringValue ?? ""))</td><td>\(typeLabel(schema))\(constraints(schema))</td>"
                + "<td>\(prose(p["description"]?.stringValue))\(nested(schema, depth: 1))</td></tr>"
        }
        return out + "</table>"
    }

    func requestBody(_ body: JSONValue) -> String {
        var out = "<h4>Request body\(body["required"]?.boolValue == true ? " <span class=\"required\">required</span>" : " (optional)")</h4>"
        out += prose(body["description"]?.stringValue)
        for (type, media) in body["content"]?.objectMembers ?? [] {
            out += schemaBlock(media["schema"] ?? .object([]), depth: 0, mediaType: type)
        }
        return out
    }

    func responses(_ responses: JSONValue) -> String {
        var out = "<table><tr><th>Status</th><th>Description</th></tr>"
        for (status, raw) in responses.objectMembers {
            let (response, name) = resolved(raw, kind: "responses")
            out += "<tr><td><strong>\(escape(status))</strong></td><td>\(prose(response["description"]?.stringValue))"
            if let name { out += "<p class=\"muted\">Response <a href=\"#\(anchor("response", name))\">\(escape(name))</a></p>" }
            let headers = response["headers"]?.objectMembers ?? []
            if !headers.isEmpty {
                out += "<table><tr><th>Header</th><th>Type</th><th>Description</th></tr>"
                for (header, value) in headers {
                    let schema = value["schema"] ?? .object([])
                    out += "<tr><td><code>\(escape(header))</code></td><td>\(typeLabel(schema))\(constraints(schema))</td>"
                        + "<td>\(prose(value["description"]?.stringValue))</td></tr>"
                }
                out += "</table>"
            }
            for (type, media) in response["content"]?.objectMembers ?? [] {
                out += schemaBlock(media["schema"] ?? .object([]), depth: 0, mediaType: type)
            }
            out += "</td></tr>"
        }
        return out + "</table>"
    }

    /// How this server answers one of Fluxer's operations where their document does not show it.
    func serverNote(_ note: JSONValue) -> String {
        var out = "<div class=\"note\"><p><strong>On this server</strong></p>\(prose(note["description"]?.stringValue))"
        if note["security"] != nil { out += "<p>Security: \(security(note["security"]))</p>" }
        if let types = note["requestContentTypes"]?.arrayItems.compactMap(\.stringValue), !types.isEmpty {
            out += "<p>Request body as " + types.map { "<code>\(escape($0))</code>" }.joined(separator: " or ") + "</p>"
        }
        if let schema = note["errorSchema"] { out += "<p>Errors: \(typeLabel(schema))</p>" }
        return out + "</div>"
    }

    func errorCode(_ code: String) -> String {
        let catalogue = components["schemas"]?["FluxerAuthErrorCode"]?["enum"]?.arrayItems.contains(.string(code)) == true
            ? "FluxerAuthErrorCode" : "APIErrorCode"
        return "<a href=\"#\(anchor("schema", catalogue))\"><code>\(escape(code))</code></a>"
    }

    func securitySchemes() -> String {
        var out = "<h2 id=\"security-schemes\">Security schemes</h2>"
        for (name, scheme) in components["securitySchemes"]?.objectMembers ?? [] {
            var facts = [scheme["type"]?.stringValue, scheme["scheme"]?.stringValue].compactMap { $0 }.map { "<code>\(escape($0))</code>" }
            if let where_ = scheme["in"]?.stringValue, let field = scheme["name"]?.stringValue {
                facts.append("\(escape(where_)) <code>\(escape(field))</code>")
            }
            out += "<section class=\"card\" id=\"\(anchor("security", name))\"><h3>\(escape(name))</h3><p>\(facts.joined(separator: " · "))</p>"
                + prose(scheme["description"]?.stringValue)
            for (flow, settings) in scheme["flows"]?.objectMembers ?? [] {
                out += "<p>Flow <code>\(escape(flow))</code>: authorization <code>\(escape(settings["authorizationUrl"]?.stringValue ?? ""))</code>, "
                    + "token <code>\(escape(settings["tokenUrl"]?.stringValue ?? ""))</code></p><table><tr><th>Scope</th><th>Description</th></tr>"
                for (scope, text) in settings["scopes"]?.objectMembers ?? [] {
                    out += "<tr><td><code>\(escape(scope))</code></td><td>\(prose(text.stringValue))</td></tr>"
                }
                out += "</table>"
            }
            out += "</section>\n"
        }
        return out
    }

    func schemas() -> String {
        var out = "<h2 id=\"schemas\">Schemas</h2>"
        for (name, schema) in components["schemas"]?.objectMembers ?? [] {
            out += "<section class=\"card\" id=\"\(anchor("schema", name))\"><h3>\(escape(name))</h3>\(schemaBlock(schema, depth: 0, full: true))</section>\n"
        }
        for (kind, label) in [("responses", "response"), ("parameters", "parameter")] {
            for (name, value) in components[kind]?.objectMembers ?? [] {
                out += "<section class=\"card\" id=\"\(anchor(label, name))\"><h3>\(escape(name)) <span class=\"badge\">\(label)</span></h3>"
                out += kind == "responses" ? responses(.object([("", value)])) : parameterTable([value])
                out += "</section>\n"
            }
        }
        return out
    }

    /// A `$ref` to a component of `kind` replaced by the component, with its name; anything else as it is.
    func resolved(_ value: JSONValue, kind: String) -> (value: JSONValue, name: String?) {
        let prefix = "#/components/\(kind)/"
        guard let target = value["$ref"]?.stringValue, target.hasPrefix(prefix) else { return (value, nil) }
        let name = String(target.dropFirst(prefix.count))
        return (components[kind]?[name] ?? value, name)
    }

    func anchor(_ kind: String, _ name: String) -> String {
        kind + "-" + String(name.unicodeScalars.map { scalar -> Character in
            (scalar.properties.isAlphabetic && scalar.isASCII) || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
                ? Character(scalar) : "-"
        })
    }

    func escape(_ text: String) -> String { WebPage.escape(text) }

    /// Description text: paragraphs on blank lines, `- ` lines as lists, `code` spans; everything else escaped.
    func prose(_ text: String?, inline: Bool = false) -> String {
        guard let text, !text.isEmpty else { return "" }
        if inline { return spans(text) }
        var out = "", list: [String] = [], lines: [String] = []
        func flush() {
            if !lines.isEmpty { out += "<p>" + spans(lines.joined(separator: " ")) + "</p>" }
            if !list.isEmpty { out += "<ul>" + list.map { "<li>" + spans($0) + "</li>" }.joined() + "</ul>" }
            lines = []
            list = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.isEmpty {
                flush()
            } else if line.hasPrefix("- ") {
                if !lines.isEmpty { flush() }
                list.append(String(line.dropFirst(2)))
            } else {
                if !list.isEmpty { flush() }
                lines.append(line)
            }
        }
        flush()
        return out
    }

    /// Text with `…` spans as code (an unpaired backtick is kept as text).
    func spans(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false).map(String.init)
        guard parts.count % 2 == 1 else { return escape(text) }
        return parts.enumerated().map { $0.offset % 2 == 1 ? "<code>\(escape($0.element))</code>" : escape($0.element) }.joined()
    }
}
