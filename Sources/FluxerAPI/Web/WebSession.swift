import FluxerCrypto
import HTTPServer
import FluxerDomain

/// The browser session of the authorize pages: a `flx_` session token in an HttpOnly, SameSite=Lax cookie
/// (`__Host-` prefixed and Secure unless dev mode serves plain http), and CSRF tokens for its forms.
package struct WebSession {
    package let config: Config
    package let secret: [UInt8]
    /// Single sign-on, when the instance offers it: the login page then has a "Continue with …" button.
    package var sso: SSOService? = nil

    /// Secure cookies unless dev mode on an http public URL (the rule).
    package var isSecure: Bool { Self.isSecure(config) }

    package static func isSecure(_ config: Config) -> Bool { !(config.dev && config.effectivePublicURL.hasPrefix("http://")) }
    package var sessionCookie: String { isSecure ? "__Host-fluxer_session" : "fluxer_session" }
    package var csrfCookie: String { isSecure ? "__Host-fluxer_csrf" : "fluxer_csrf" }
    /// Binds a browser-started SSO sign-in to the browser that started it (see `SSOService.beginSignIn`).
    package var ssoCookie: String { isSecure ? "__Host-fluxer_sso" : "fluxer_sso" }
    /// Binds an API-started sign-in (a same-site page's fetch to `/auth/sso/start`) to the browser that comes
    /// back to `/auth/sso/callback` (see `SSOService.start`).
    package var ssoCallbackCookie: String { Self.ssoCallbackCookie(config) }
    package static func ssoCallbackCookie(_ config: Config) -> String { isSecure(config) ? "__Host-fluxer_sso_cb" : "fluxer_sso_cb" }

    package static func cookies(_ request: HTTPRequest) -> [String: String] {
        var out: [String: String] = [:]
        for header in request.headers.values("Cookie") {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let name = pair[0].trimmingASCIIWhitespace()
                if out[name] == nil { out[name] = pair[1].trimmingASCIIWhitespace() }
            }
        }
        return out
    }

    /// The session token in the cookie, if well formed.
    package func sessionToken(_ request: HTTPRequest) -> String? {
        guard let token = Self.cookies(request)[sessionCookie], SessionToken.isWellFormed(token[...]) else { return nil }
        return token
    }

    /// 303 to `path` with the session cookie set: how every way of signing in on the pages ends. The cookie
    /// lasts as long as the new session can (`security.session_lifetime`); the server ends it sooner when idle.
    package func signedIn(token: String, redirectTo path: String) -> HTTPResponse {
        var response = HTTPResponse(status: .seeOther, headers: WebPage.securityHeaders())
        response.headers.add("Location", path)
        response.headers.add("Set-Cookie", setCookie(name: sessionCookie, value: token, maxAge: Int(config.sessionLifetimeMilliseconds / 1000)))
        return response
    }

    package func setCookie(name: String, value: String, maxAge: Int) -> String {
        var cookie = "\(name)=\(value); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(maxAge)"
        if isSecure { cookie += "; Secure" }
        return cookie
    }

    /// The consent form's CSRF token: bound to the session (HMAC of its hash), so a token from another
    /// session never validates (AZ-10).
    package func csrfToken(sessionHash: [UInt8]) -> String {
        Base64URL.encode(HMAC.sha256(key: secret, message: Array("fluxer-auth/csrf/consent".utf8) + sessionHash))
    }

    package func isValidCSRF(_ token: String?, sessionHash: [UInt8]) -> Bool {
        guard let token else { return false }
        return ConstantTime.equals(token, csrfToken(sessionHash: sessionHash))
    }

    /// A POST from another origin is refused when the browser says where it came from (defence in depth
    /// beside the token and SameSite). `Origin: null` says nothing and is let through to the token check:
    /// browsers send exactly that for a form POST from a page with `Referrer-Policy: no-referrer` (Fetch §3.1,
    /// "append a request Origin header"), which every page here has (AZ-13). Found by the Chromium test.
    package func isSameOrigin(_ request: HTTPRequest) -> Bool {
        guard let origin = request.headers["Origin"], origin != "null" else { return true }
        return origin == WebPage.origin(of: config.effectivePublicURL)
    }
}
