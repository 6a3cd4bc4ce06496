import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer

/// `/auth/handoff/*`: signing in a desktop app through a browser that is signed in already (the real server's
/// `DesktopHandoffService`). The desktop asks for a code and shows it; the user types it into the browser, which
/// completes it with its own session; the desktop polls the status and receives a session of its own, once.
///
/// Differences from the real server, all for safety, none visible to a client that follows the flow:
/// - the desktop's session is created when it picks the hand-over up (so it carries the desktop's client
///   details), and only if the browser session that completed it is still live: no session token is stored
///   at any time, and logging that browser session out before pickup cancels the hand-over;
/// - only the client (IP address, IPv6 /64) that asked for a code may poll or cancel it: another client sees
///   `expired`, as for a code that does not exist, so a code read over someone's shoulder is worth nothing;
/// - codes are stored as an HMAC keyed by the server secret, completions are limited per client and per user
///   in the database (`ratelimit.handoff_complete`), and codes requested per client too.
package enum HandoffRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SessionIssuing & SudoChecking

    package static func register(on router: inout Router, accounts: any HandoffRoutes.Services) {
        router.api(.POST, "/auth/handoff/initiate") { request in try initiate(request, accounts) }
        router.api(.POST, "/auth/handoff/complete") { request in try complete(request, accounts) }
        router.api(.GET, "/auth/handoff/:code/status") { request in try status(request, accounts) }
        router.api(.DELETE, "/auth/handoff/:code") { request in try cancel(request, accounts) }
    }

    package static let invalidCode = APIError(.badRequest, code: "INVALID_HANDOFF_CODE", message: "Invalid handoff code.")
    package static let expiredCode = APIError(.badRequest, code: "HANDOFF_CODE_EXPIRED", message: "This handoff code has expired.")
    package static let invalidToken = APIError(.unauthorized, code: "INVALID_TOKEN", message: "Invalid token.")
    package static let tokenMismatch = APIError(.badRequest, code: "SESSION_TOKEN_MISMATCH", message: "The token does not belong to this user.")

    /// The stored form of a canonical code: keyed by the server secret (a 40-bit code's plain hash could be
    /// reversed from a copy of the database).
    static func codeHash(_ canonical: String, _ accounts: any HandoffRoutes.Services) -> [UInt8] {
        accounts.mfaKeys.codeHash(canonical, purpose: "desktop_handoff")
    }

    /// The code named by the path, canonical and hashed; 400 `INVALID_HANDOFF_CODE` when it cannot be a code.
    static func pathCode(_ request: HTTPRequest, _ accounts: any HandoffRoutes.Services) throws -> [UInt8] {
        guard let canonical = request.parameters["code"].flatMap(HandoffCode.normalize) else { throw invalidCode }
        return codeHash(canonical, accounts)
    }

    // MARK: - Initiate

    /// `POST /auth/handoff/initiate` (no body, no credential) → `{code, expires_at}`.
    package static func initiate(_ request: HTTPRequest, _ accounts: any HandoffRoutes.Services) throws -> HTTPResponse {
        let client = ClientKey.of(request.remoteAddress)
        let now = accounts.now
        let expiresAt = now + HandoffCode.lifetime
        let code = try accounts.write { db, _ -> String in
            try accounts.throttle([("handoff:initiate:ip:" + client, accounts.context.config.handoffInitiateLimit)], in: db)
            // A collision with a live code is rare (31^8 codes); draw again rather than fail.
            for _ in 0..<8 {
                let code = HandoffCode.generate()
                guard let canonical = HandoffCode.normalize(code) else { continue }
                if try HandoffStore.create(codeHash: codeHash(canonical, accounts), clientKey: client, now: now, expiresAt: expiresAt, in: db) {
                    return code
                }
            }
            throw APIError.serviceUnavailable()
        }
        return .json(.ok, JSONValue.object([("code", .string(code)), ("expires_at", .string(ISO8601.format(milliseconds: expiresAt)))]))
    }

    // MARK: - Complete

    package struct CompleteBody: Decodable {
        package var code: String
        package var token: String
        package var user_id: String
    }

    /// `POST /auth/handoff/complete {code, token, user_id}` → 204: the browser vouches for the hand-over with its
    /// session token. Checked in the real server's order (token, then its user, then the code), after the
    /// attempt limits, which count every try.
    package static func complete(_ request: HTTPRequest, _ accounts: any HandoffRoutes.Services) throws -> HTTPResponse {
        let body = try JSONBody.decode(CompleteBody.self, from: request)
        let limit = accounts.context.config.handoffCompleteLimit
        let client = ClientKey.of(request.remoteAddress)
        try accounts.write { db, _ in try accounts.throttle([("handoff:complete:ip:" + client, limit)], in: db) }

        // Only a live user session vouches: a bot token, an OAuth2 token or anything else is not one.
        guard SessionToken.isWellFormed(body.token[...]) else { throw invalidToken }
        let caller = try accounts.authenticator.resolve(accounts.authenticator.identify(.bare(body.token[...])))
        guard let principal = caller.principal, let sessionHash = principal.sessionHash, !principal.user.isBot else { throw invalidToken }
        guard Snowflake.parse(body.user_id) == principal.user.id else { throw tokenMismatch }
        try accounts.write { db, _ in try accounts.throttle([("handoff:complete:user:\(principal.user.id)", limit)], in: db) }

        guard let canonical = HandoffCode.normalize(body.code) else { throw invalidCode }
        let hash = codeHash(canonical, accounts)
        let now = accounts.now
        try accounts.write { db, _ in
            if try HandoffStore.complete(codeHash: hash, sessionHash: sessionHash, now: now, in: db) { return }
            throw try HandoffStore.state(codeHash: hash, clientKey: nil, now: now, in: db) == .expired ? expiredCode : invalidCode
        }
        accounts.audit.record("handoff.complete", outcome: "success", userID: principal.user.id, request: request)
        return .noContent
    }

    // MARK: - Status

    /// `GET /auth/handoff/{code}/status` → `{status: "pending" | "completed" | "expired", token?, user_id?}`. The
    /// first poll after completion receives a new session for this client and spends the hand-over; every
    /// later poll, and any poll from another client, answers `expired`.
    package static func status(_ request: HTTPRequest, _ accounts: any HandoffRoutes.Services) throws -> HTTPResponse {
        let hash = try pathCode(request, accounts)
        let client = ClientKey.of(request.remoteAddress)
        let now = accounts.now
        // Polls mostly find a pending code: answered from a read, the write only when there is something to take.
        let state = try accounts.context.database.read { db in try HandoffStore.state(codeHash: hash, clientKey: client, now: now, in: db) }
        guard state == .completed else { return statusResponse(state == .pending ? "pending" : "expired") }
        let picked = try accounts.write { db, invalidations -> (UInt64, String)? in
            guard let sessionHash = try HandoffStore.pickUp(codeHash: hash, clientKey: client, now: now, in: db),
                  let (session, user) = try SessionStore.lookup(hash: sessionHash, in: db),
                  !user.isBot, !accounts.isExpired(session, now: now)
            else { return nil }
            return (user.id, try accounts.createSession(for: user.id, request: request, in: db, &invalidations))
        }
        guard let (userID, token) = picked else { return statusResponse("expired") }
        accounts.audit.record("handoff.pickup", outcome: "success", userID: userID, request: request)
        return .json(.ok, JSONValue.object([("status", "completed"), ("token", .string(token)), ("user_id", .string(String(userID)))]))
    }

    static func statusResponse(_ status: String) -> HTTPResponse {
        .json(.ok, JSONValue.object([("status", .string(status))]))
    }

    // MARK: - Cancel

    /// `DELETE /auth/handoff/{code}` → 204, whether or not the code was live (only the client that asked for it
    /// can cancel it).
    package static func cancel(_ request: HTTPRequest, _ accounts: any HandoffRoutes.Services) throws -> HTTPResponse {
        let hash = try pathCode(request, accounts)
        let client = ClientKey.of(request.remoteAddress)
        _ = try accounts.write { db, _ in try HandoffStore.cancel(codeHash: hash, clientKey: client, in: db) }
        return .noContent
    }
}
