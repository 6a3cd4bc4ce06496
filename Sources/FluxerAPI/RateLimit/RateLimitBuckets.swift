import HTTPServer

/// The route buckets of the real server (fluxer-api.md §12), keyed by method and route pattern. Every API
/// route also counts against the global limit (50 requests per second per client); health, readiness,
/// metrics and static assets are exempt.
package enum RateLimitBuckets {
    package struct Bucket: Sendable {
        package var name: String
        package var limit: RateLimit
    }

    package static let second: Int64 = 1_000
    package static let minute: Int64 = 60_000
    package static let hour: Int64 = 3_600_000

    package static let defaults: [String: RateLimit] = [
        "auth:register": RateLimit(10, per: 10 * second),
        "auth:login": RateLimit(10, per: 10 * second),
        "auth:login:mfa": RateLimit(5, per: minute),
        "auth:verify": RateLimit(10, per: minute),
        "auth:verify:resend": RateLimit(10, per: minute),
        "auth:forgot": RateLimit(5, per: minute),
        "auth:reset": RateLimit(10, per: minute),
        "auth:sessions": RateLimit(40, per: 10 * second),
        "auth:sessions:logout": RateLimit(20, per: 10 * second),
        "auth:logout": RateLimit(20, per: 10 * second),
        "auth:authorize_ip": RateLimit(5, per: minute),
        "auth:ip_authorization_resend": RateLimit(5, per: minute),
        "auth:ip_authorization_poll": RateLimit(60, per: minute),
        "auth:webauthn:options": RateLimit(20, per: 10 * second),
        "auth:sso:start": RateLimit(10, per: 10 * second),
        "auth:sso:complete": RateLimit(15, per: 10 * second),
        "auth:webauthn:authenticate": RateLimit(10, per: 10 * second),
        "sudo:mfa:methods": RateLimit(20, per: minute),
        "sudo:sms:send": RateLimit(5, per: minute),
        "oauth:authorize": RateLimit(60, per: minute),
        "oauth:token": RateLimit(120, per: minute),
        "oauth:introspect": RateLimit(120, per: minute),
        "oauth_dev:clients:create": RateLimit(10, per: hour),
        "oauth_dev:clients:rotate_secret": RateLimit(10, per: hour),
        "oauth_dev:clients:delete": RateLimit(10, per: hour),
        "oauth_dev:clients:update": RateLimit(30, per: minute),
        "oauth_dev:clients:list": RateLimit(60, per: minute),
        "auth:handoff:initiate": RateLimit(10, per: minute),
        "auth:handoff:complete": RateLimit(10, per: minute),
        "auth:handoff:status": RateLimit(60, per: minute),
        "auth:handoff:cancel": RateLimit(10, per: minute),
        "auth:email_revert": RateLimit(10, per: minute),
        "user:update": RateLimit(20, per: minute),
        "user:mfa": RateLimit(20, per: minute),
        "user:authorized_ips:forget": RateLimit(10, per: minute),
        "user:password_change:start": RateLimit(10, per: minute),
        "user:password_change:resend": RateLimit(10, per: minute),
        "user:password_change:verify": RateLimit(20, per: minute),
        "user:password_change:complete": RateLimit(10, per: minute),
        "user:phone": RateLimit(10, per: minute),
    ]

    /// Routes that are never limited (operations and static assets).
    package static let exempt: Set<String> = ["/healthz", "/readyz", "/metrics", "/oauth2/assets/authorize.css", "/oauth2/assets/webauthn.js", "/.well-known/oauth-authorization-server"]

    /// The bucket name for a route, if it has one.
    package static func name(method: HTTPMethod, pattern: String) -> String? {
        switch (method, pattern) {
        case (.POST, "/auth/register"), (.POST, "/auth/username-suggestions"): "auth:register"
        case (.POST, "/auth/handoff/initiate"): "auth:handoff:initiate"
        case (.POST, "/auth/handoff/complete"): "auth:handoff:complete"
        case (.GET, "/auth/handoff/:code/status"): "auth:handoff:status"
        case (.DELETE, "/auth/handoff/:code"): "auth:handoff:cancel"
        case (.POST, "/auth/email-revert"): "auth:email_revert"
        case (.PATCH, "/users/@me"): "user:update"
        case (.POST, "/auth/login"): "auth:login"
        case (.POST, let p) where p.hasPrefix("/auth/login/mfa/webauthn"): p.hasSuffix("options") ? "auth:webauthn:options" : "auth:webauthn:authenticate"
        case (.POST, "/auth/sso/start"): "auth:sso:start"
        case (.POST, "/auth/sso/complete"): "auth:sso:complete"
        case (.POST, "/auth/webauthn/authentication-options"): "auth:webauthn:options"
        case (.POST, "/auth/webauthn/authenticate"): "auth:webauthn:authenticate"
        case (.POST, let p) where p.hasPrefix("/auth/login/mfa/"): "auth:login:mfa"
        case (.POST, "/auth/verify"): "auth:verify"
        case (.POST, "/auth/verify/resend"): "auth:verify:resend"
        case (.POST, "/auth/forgot"): "auth:forgot"
        case (.POST, "/auth/reset"): "auth:reset"
        case (.GET, "/auth/sessions"): "auth:sessions"
        case (.POST, "/auth/sessions/logout"): "auth:sessions:logout"
        case (.POST, "/auth/logout"): "auth:logout"
        case (.POST, "/auth/authorize-ip"): "auth:authorize_ip"
        case (.POST, "/auth/ip-authorization/resend"): "auth:ip_authorization_resend"
        case (.GET, "/auth/ip-authorization/poll"): "auth:ip_authorization_poll"
        case (.DELETE, "/users/@me/authorized-ips"): "user:authorized_ips:forget"
        case (.POST, "/users/@me/password-change/start"): "user:password_change:start"
        case (.POST, "/users/@me/password-change/resend"): "user:password_change:resend"
        case (.POST, "/users/@me/password-change/verify"): "user:password_change:verify"
        case (.POST, "/users/@me/password-change/complete"): "user:password_change:complete"
        case (.GET, "/users/@me/sudo/mfa-methods"): "sudo:mfa:methods"
        case (.POST, "/users/@me/sudo/mfa/sms/send"): "sudo:sms:send"
        case (.POST, "/users/@me/sudo/webauthn/authentication-options"): "auth:webauthn:options"
        case (_, let p) where p.hasPrefix("/users/@me/mfa/"): "user:mfa"
        case (_, let p) where p.hasPrefix("/users/@me/phone"): "user:phone"
        case (_, let p) where p.hasPrefix("/oauth2/authorize"): "oauth:authorize"
        case (.POST, "/oauth2/token"): "oauth:token"
        case (.POST, "/oauth2/introspect"), (.POST, "/oauth2/token/revoke"), (.GET, "/oauth2/userinfo"),
             (.DELETE, "/oauth2/@me/authorizations/:applicationId"): "oauth:introspect"
        case (.POST, "/oauth2/applications"): "oauth_dev:clients:create"
        case (.POST, "/oauth2/applications/:id/client-secret/reset"), (.POST, "/oauth2/applications/:id/bot/reset-token"):
            "oauth_dev:clients:rotate_secret"
        case (.DELETE, "/oauth2/applications/:id"): "oauth_dev:clients:delete"
        case (.PATCH, "/oauth2/applications/:id"), (.PATCH, "/oauth2/applications/:id/bot"): "oauth_dev:clients:update"
        case (.GET, "/oauth2/applications"): "oauth_dev:clients:list"
        default: nil
        }
    }
}
