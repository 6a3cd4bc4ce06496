import FluxerCrypto
import FluxerJSON
import HTTPServer

/// `GET /docs`: the OpenAPI document as one HTML page, rendered by the server from the document itself (never a
/// hand-kept copy): operations grouped by tag with method, path, summary, description, security, parameters,
/// request body and responses; then the security schemes and every component schema, each `$ref` a link to its
/// anchor. No script, no external resource: the page works offline, and its one inline stylesheet is allowed by
/// its hash alone (CSP `style-src 'sha256-…'`), as strict as the authorize pages.
package struct APIReferencePage {
    package let html: String

    package init(document: JSONValue) {
        html = APIReferenceRenderer(document: document).page()
    }

    /// Unframeable, no referrer, nothing loaded from anywhere; the inline style by its hash.
    package var securityHeaders: HTTPHeaders {
        [
            "Content-Security-Policy": "default-src 'none'; style-src \(Self.styleSource); img-src 'none'; form-action 'none'; "
                + "frame-ancestors 'none'; base-uri 'none'",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        ]
    }

    /// CSP source of the inline stylesheet (CSP3 §8.4: the hash of the element's text, base64).
    package static let styleSource = "'sha256-" + Base64.encode(SHA256.hash(utf8: style)) + "'"

    /// The house colours of the authorize pages (WebPage.stylesheet), laid out for reading a long reference.
    package static let style = """
        :root { color-scheme: light dark; --bg: #f2f3f5; --card: #ffffff; --text: #1e1f22; --muted: #5c5e66; --accent: #4641d9;
          --border: #d6d8dd; --code: #eceef1; --get: #1a7f37; --post: #4641d9; --put: #8250df; --patch: #9a6700; --delete: #c4314b; }
        @media (prefers-color-scheme: dark) { :root { --bg: #1e1f22; --card: #2b2d31; --text: #f2f3f5; --muted: #a5a8b0;
          --accent: #8a86ff; --border: #3f4147; --code: #383a40; --get: #4ac26b; --post: #8a86ff; --put: #c297ff; --patch: #d4a72c;
          --delete: #ff6b81; } }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 1100px; margin: 0 auto; padding: 24px; }
        a { color: var(--accent); }
        code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code); padding: 1px 4px; border-radius: 4px; }
        h1 { margin: 0 0 4px; font-size: 1.8rem; }
        h2 { margin: 40px 0 12px; font-size: 1.4rem; border-bottom: 2px solid var(--border); padding-bottom: 6px; }
        h3 { margin: 0; font-size: 1.05rem; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
        h4 { margin: 16px 0 6px; font-size: .95rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
        .brand { font-weight: 700; letter-spacing: .04em; color: var(--accent); margin: 0 0 8px; }
        .muted { color: var(--muted); }
        .card { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 18px 20px; margin: 14px 0; }
        .method { font: 700 .8rem ui-monospace, monospace; padding: 2px 8px; border-radius: 5px; color: #fff; }
        .get { background: var(--get); } .post { background: var(--post); } .put { background: var(--put); }
        .patch { background: var(--patch); } .delete { background: var(--delete); }
        .path { font: 600 1rem ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
        .badge { font-size: .75rem; border: 1px solid var(--border); border-radius: 999px; padding: 1px 8px; color: var(--muted); }
        .badge.dev { border-color: var(--patch); color: var(--patch); }
        .required { color: var(--delete); font-size: .8rem; font-weight: 600; }
        table { border-collapse: collapse; width: 100%; margin: 6px 0; font-size: .92rem; }
        th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--border); padding: 6px 8px; }
        th { color: var(--muted); font-weight: 600; }
        td table { margin: 6px 0 0; }
        .note { border-left: 4px solid var(--accent); padding: 4px 12px; margin: 10px 0; }
        nav ul { columns: 2 320px; padding-left: 18px; margin: 6px 0; }
        nav li { break-inside: avoid; }
        details > summary { cursor: pointer; color: var(--accent); }
        ul.values { columns: 3 220px; padding-left: 18px; margin: 4px 0; }
        p { margin: 6px 0; }
        """
}
