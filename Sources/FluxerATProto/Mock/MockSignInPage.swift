/// The mock's HTML: a plain sign-in page listing the PDS's accounts, with a field that takes any handle.
enum MockSignInPage {
    static func page(action: String, requestURI: String, clientID: String, handles: [String], loginHint: String?) -> String {
        let buttons = handles.map { "<li><button name=\"handle\" value=\"\(escape($0))\">\(escape($0))</button></li>" }.joined()
        return document("""
        <h1>Sign in to the atproto mock</h1>
        <p><code>\(escape(clientID))</code> asks to sign you in.</p>
        <form method="post" action="\(escape(action))">
        <input type="hidden" name="request_uri" value="\(escape(requestURI))">
        <ul>\(buttons)</ul>
        <label>Any handle <input name="other_handle" value="\(escape(loginHint ?? ""))" autocomplete="off"></label>
        <button type="submit">Sign in</button>
        <button name="deny" value="1">Cancel</button>
        </form>
        """)
    }

    static func error(_ message: String) -> String {
        document("<h1>Sign-in failed</h1><p>\(escape(message))</p>")
    }

    private static func document(_ body: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>atproto mock</title></head><body>\(body)</body></html>"
    }

    /// HTML-escapes text for element content and double-quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
