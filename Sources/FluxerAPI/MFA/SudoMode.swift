import FluxerCrypto
import FoundationEssentials
import HTTPServer
import SQLite
import FluxerDomain
import FluxerPersistence

/// The proof fields a sudo-protected request may carry in its JSON body (the real server's
/// `SudoVerificationSchema`).
package struct SudoProof: Decodable, Sendable {
    package var password: String?
    package var mfa_method: String?
    package var mfa_code: String?
    package var webauthn_response: WebAuthnCredentialJSON?
    package var webauthn_challenge: String?

    /// The proof in a request's body; an empty body is an empty proof.
    package static func from(_ request: HTTPRequest) throws -> SudoProof {
        request.body.isEmpty ? SudoProof() : try JSONBody.decode(SudoProof.self, from: request)
    }
}

/// Sudo tokens: HS256 JWT `{type: "sudo", sub, iat, exp: iat + 300}` keyed by a key derived from the server
/// secret, sent back in `X-Fluxer-Sudo-Mode-JWT` and accepted instead of a proof for five minutes.
package enum SudoToken {
    package static let header = "X-Fluxer-Sudo-Mode-JWT"
    package static let lifetimeSeconds: Int64 = 300

    package struct Claims: Codable {
        package var type: String
        package var sub: String
        package var iat: Int64
        package var exp: Int64
    }

    package static func mint(userID: UInt64, now: Int64, key: [UInt8]) -> String {
        let iat = now / 1000
        let payload = #"{"type":"sudo","sub":"\#(userID)","iat":\#(iat),"exp":\#(iat + lifetimeSeconds)}"#
        return HS256JWT.sign(payload: Array(payload.utf8), key: key)
    }

    /// The cookie the token also travels in (real server: `__flx_sudo_<userId>`), so a web client that lost the
    /// header still has it for five minutes. Host-only (no Domain), HttpOnly, SameSite=Lax. Accepting it adds
    /// no CSRF exposure: every sudo route also needs the `Authorization` header, which a browser never adds
    /// on its own.
    package static func cookieName(userID: UInt64) -> String { "__flx_sudo_\(userID)" }

    package static func cookie(_ token: String, userID: UInt64, secure: Bool) -> String {
        "\(cookieName(userID: userID))=\(token); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(lifetimeSeconds)" + (secure ? "; Secure" : "")
    }

    /// The token a request presents: the header first, else this user's cookie.
    package static func presented(_ request: HTTPRequest, userID: UInt64) -> String? {
        request.headers[header] ?? WebSession.cookies(request)[cookieName(userID: userID)]
    }

    package static func isValid(_ token: String, userID: UInt64, now: Int64, key: [UInt8]) -> Bool {
        guard let payload = HS256JWT.verify(token, key: key),
              let claims = try? JSONDecoder().decode(Claims.self, from: Data(payload))
        else { return false }
        return claims.type == "sudo" && claims.sub == String(userID) && claims.exp > now / 1000 && claims.iat <= now / 1000 + 60
    }
}

extension Accounts {
    /// The one sudo check every sensitive route goes through (real server's `verifySudoMode` order):
    /// bots pass; a valid sudo token passes; users with MFA must prove a second factor (their password alone is
    /// refused with `has_mfa: true`) and get a sudo token back; users without MFA prove their password (an
    /// unclaimed account has none and passes). No proof → 403 `SUDO_MODE_REQUIRED`; a wrong one → 400 and
    /// nothing changes. `then` runs only after the proof, and its response is sent.
    package func requireSudo(_ principal: Principal, request: HTTPRequest, reply: Reply, issueToken: Bool = true,
                     then: @escaping @Sendable () throws -> HTTPResponse) throws {
        let user = principal.user
        if principal.isBot { return reply(try then()) }
        if let token = SudoToken.presented(request, userID: user.id), SudoToken.isValid(token, userID: user.id, now: now, key: mfaKeys.sudoKey) {
            return reply(try then())
        }
        let proof = try SudoProof.from(request)
        let required = APIError(.forbidden, code: "SUDO_MODE_REQUIRED", message: "Sudo mode is required for this action.",
                                extra: [("has_mfa", .bool(user.hasMFA))])
        if user.hasMFA {
            guard let methodText = proof.mfa_method else { throw required }
            guard let method = MFAMethod(rawValue: methodText) else {
                throw APIError.invalidField("mfa_method", "mfa_method must be totp, sms or webauthn.", code: "INVALID_FORMAT")
            }
            try verifySecondFactor(user, method: method, code: proof.mfa_code, webauthn: proof.webauthn_response,
                                   challenge: proof.webauthn_challenge, purpose: .sudo, request: request, reply: reply) {
                var response = try then()
                if issueToken {
                    let token = SudoToken.mint(userID: user.id, now: self.now, key: self.mfaKeys.sudoKey)
                    self.context.metrics.issued(.sudo)
                    response.headers.set(SudoToken.header, token)
                    response.headers.add("Set-Cookie", SudoToken.cookie(token, userID: user.id, secure: WebSession.isSecure(self.context.config)))
                }
                return response
            }
            return
        }
        if user.passwordHash == nil {
            // An account signed in only through SSO has no password to prove: a session opened by SSO in the
            // last 10 minutes stands for a fresh sign-in, an older one must sign in again. (The real server's
            // "unclaimed account" pass-through is kept for accounts with no password and no SSO link.)
            let fresh = try context.database.read { db -> Bool? in
                guard try SSOStore.hasIdentity(userID: user.id, in: db) else { return nil }
                guard let hash = principal.sessionHash, let created = try SessionStore.createdAt(hash: hash, in: db)
                else { return false }
                return now - created <= Self.ssoSudoWindow
            }
            if fresh == false {
                throw APIError(.forbidden, code: "SUDO_MODE_REQUIRED", message: "Sign in again with single sign-on to do this.",
                               extra: [("has_mfa", .bool(false)), ("sso", .bool(true))])
            }
            return reply(try then())
        }
        guard let password = proof.password, !password.isEmpty else { throw required }
        if AccountValidation.password(password) != nil { throw Self.invalidPassword }
        try verifyOnPool(password, against: user.passwordHash, reply: reply) { ok in
            guard ok, try !self.isLocked(user) else {
                try self.proofFailed(user, request: request, event: "sudo.failure")
                throw Self.invalidPassword
            }
            try self.write { db, _ in try AccountLockout.recordSuccess(userID: user.id, in: db) }
            reply(try then())
        }
    }

    package static let invalidPassword = APIError.invalidField("password", "Invalid password.", code: "INVALID_PASSWORD")
    /// How long a session opened by SSO counts as a sudo proof for an account without a password.
    package static let ssoSudoWindow: Int64 = 10 * 60_000
    package static let invalidMFACode = APIError.invalidField("mfa_code", "Invalid MFA code.", code: "INVALID_MFA_CODE")

    /// Where a second factor is being used; decides which SMS codes and WebAuthn challenges count.
    package enum FactorPurpose: String {
        case sudo, login
    }

    /// Verifies one second factor for `user`, then runs `then` and sends its response. A wrong proof answers
    /// 400 `INVALID_MFA_CODE` and changes nothing but the code's own attempt counter.
    package func verifySecondFactor(_ user: User, method: MFAMethod, code: String?, webauthn: WebAuthnCredentialJSON?, challenge: String?,
                            purpose: FactorPurpose, scope: String = "sudo", request: HTTPRequest?, reply: Reply,
                            then: @escaping @Sendable () throws -> HTTPResponse) throws {
        let factor = SecondFactor(keys: mfaKeys, now: now)
        guard try !isLocked(user) else {
            try proofFailed(user, request: request, event: "mfa.failure")
            throw Self.invalidMFACode
        }
        do {
            try checkFactor(user, method: method, code: code, webauthn: webauthn, challenge: challenge, purpose: purpose, scope: scope, factor: factor)
        } catch {
            try proofFailed(user, request: request, event: "mfa.failure")
            throw error
        }
        try write { db, _ in try AccountLockout.recordSuccess(userID: user.id, in: db) }
        reply(try then())
    }

    private func checkFactor(_ user: User, method: MFAMethod, code: String?, webauthn: WebAuthnCredentialJSON?, challenge: String?,
                             purpose: FactorPurpose, scope: String, factor: SecondFactor) throws {
        switch method {
        case .totp:
            guard user.totpEnabled, let code else { throw Self.invalidMFACode }
            let ok = try write { db, _ in try factor.verifyTOTPOrBackup(code, userID: user.id, in: db) }
            guard ok else { throw Self.invalidMFACode }
        case .sms:
            guard user.smsMFAEnabled, user.totpEnabled, let code else { throw Self.invalidMFACode }
            let result = try write { db, _ in try factor.verifySMSCode(code, userID: user.id, purpose: purpose.rawValue, scope: scope, in: db) }
            guard result == .accepted else { throw Self.invalidMFACode }
        case .webauthn:
            guard let webauthn, let challenge else { throw Self.invalidMFACode }
            try verifyWebAuthnAssertion(user, credential: webauthn, challenge: challenge, purpose: purpose, scope: scope)
        }
    }
}
