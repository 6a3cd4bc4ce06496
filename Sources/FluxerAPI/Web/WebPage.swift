import HTTPServer

/// Server-rendered pages: plain HTML and one stylesheet; script only where a page names its own file (the
/// security-key step, `script-src 'self'`, never inline). Every page is unframeable and leaks no
/// referrer (RFC 9700 §4.16, §4.2.4; AZ-12, AZ-13).
package enum WebPage {
    /// Escapes text for HTML element content and double-quoted attributes.
    package static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A complete page. `formTargets` are extra origins a form on this page may end up at (a redirect after
    /// the POST counts for CSP `form-action`).
    package static func render(status: HTTPStatus = .ok, title: String, body: String, formTargets: [String] = [], scripts: [String] = []) -> HTTPResponse {
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>\(escape(title)) · Fluxer</title>
            <link rel="stylesheet" href="/oauth2/assets/authorize.css">
            </head>
            <body>
            <main class="card">
            <p class="brand" aria-hidden="true">Fluxer</p>
            \(body)
            </main>
            \(scripts.map { "<script src=\"\(escape($0))\"></script>" }.joined(separator: "\n"))
            </body>
            </html>
            """
        var headers = securityHeaders(formTargets: formTargets, allowScripts: !scripts.isEmpty)
        headers.add("Content-Type", "text/html; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: Array(html.utf8))
    }

    /// Page headers; `allowScripts` adds `script-src 'self'` (files served from this origin only, never inline).
    package static func securityHeaders(formTargets: [String] = [], allowScripts: Bool = false) -> HTTPHeaders {
        let formAction = (["'self'"] + formTargets).joined(separator: " ")
        let script = allowScripts ? " script-src 'self';" : ""
        return [
            "Content-Security-Policy": "default-src 'none';\(script) style-src 'self'; img-src 'self' data:; form-action \(formAction); frame-ancestors 'none'; base-uri 'none'",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        ]
    }

    /// An error page (AZ-05: never a redirect when the client or redirect URI is not trusted).
    package static func error(_ message: String, status: HTTPStatus = .badRequest, title: String = "Something went wrong") -> HTTPResponse {
        render(status: status, title: title, body: """
            <h1>\(escape(title))</h1>
            <p class="error" role="alert">\(escape(message))</p>
            <p class="muted">You can close this window and try again from the application.</p>
            """)
    }

    /// `scheme://host[:port]` of a URL, for CSP.
    package static func origin(of url: String) -> String? {
        let scheme: String
        if url.hasPrefix("https://") { scheme = "https://" } else if url.hasPrefix("http://") { scheme = "http://" } else { return nil }
        let authority = url.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains(" "), !authority.contains(";"), !authority.contains("'") else { return nil }
        return scheme + authority
    }

    /// Hidden inputs carrying parameters through a form.
    package static func hiddenFields(_ pairs: [(String, String)]) -> String {
        pairs.map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escape($0.1))\">" }.joined(separator: "\n")
    }

    package static let stylesheet = """
        :root { color-scheme: light dark; --bg: #f2f3f5; --card: #ffffff; --text: #1e1f22; --muted: #5c5e66;
          --accent: #4641d9; --accent-fill: #4641d9; --accent-text: #ffffff; --border: #d6d8dd; --field-border: #7c7f87;
          --danger: #c4314b; }
        @media (prefers-color-scheme: dark) { :root { --bg: #1e1f22; --card: #2b2d31; --text: #f2f3f5; --muted: #a5a8b0;
          --border: #3f4147; --field-border: #75787f; --accent: #8a86ff; --accent-fill: #5b55f0; --danger: #ff6b81; } }
        * { box-sizing: border-box; }
        body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--text);
          font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; padding: 24px; }
        .card { width: 100%; max-width: 440px; background: var(--card); border: 1px solid var(--border); border-radius: 12px;
          padding: 32px; box-shadow: 0 8px 24px rgba(0,0,0,.08); }
        .card > :last-child { margin-bottom: 0; }
        .brand { margin: 0 0 16px; font-weight: 700; letter-spacing: .04em; color: var(--accent); }
        h1 { font-size: 1.35rem; margin: 0 0 8px; }
        p { margin: 0 0 16px; }
        .muted { color: var(--muted); font-size: .92rem; }
        .error { color: var(--danger); font-weight: 600; }
        .app { display: flex; align-items: center; gap: 12px; margin-bottom: 20px; }
        .app h1 { margin-bottom: 2px; }
        .app p { margin: 0; }
        .avatar { width: 48px; height: 48px; border-radius: 50%; background: var(--accent-fill); color: var(--accent-text);
          display: grid; place-items: center; font-weight: 700; font-size: 1.25rem; flex: none; }
        ul.scopes { list-style: none; padding: 0; margin: 0 0 20px; border-top: 1px solid var(--border); }
        ul.scopes li { padding: 10px 0 10px 28px; border-bottom: 1px solid var(--border); position: relative; }
        ul.scopes li::before { content: "✓"; position: absolute; left: 4px; color: var(--accent); font-weight: 700; }
        label { display: block; font-weight: 600; margin: 12px 0 4px; font-size: .92rem; }
        input[type=email], input[type=password], select { width: 100%; padding: 10px 12px; border: 1px solid var(--field-border);
          border-radius: 8px; background: var(--bg); color: var(--text); font: inherit; }
        select { margin-bottom: 12px; }
        input:focus-visible, select:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .actions { display: flex; gap: 12px; margin-top: 20px; }
        button { flex: 1; padding: 11px 16px; border-radius: 8px; border: 1px solid var(--border); font: inherit;
          font-weight: 600; cursor: pointer; background: transparent; color: var(--text); }
        button.primary { background: var(--accent-fill); border-color: var(--accent-fill); color: var(--accent-text); }
        button:hover { filter: brightness(1.08); }
        .signed-in { font-size: .92rem; color: var(--muted); border-top: 1px solid var(--border); padding-top: 12px; margin-top: 20px; }
        """
}
