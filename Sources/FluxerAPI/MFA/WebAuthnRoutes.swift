import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain
import FluxerJSON

/// WebAuthn security keys: registration (§7.1) and listing/renaming/deleting under
/// `/users/@me/mfa/webauthn/credentials`, authentication options for sudo and for the MFA login step, and the
/// assertion check (§7.2) those use. Challenges live in the database for 5 minutes and are consumed by the
/// first attempt, whatever its outcome (WA-02).
package enum WebAuthnRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SudoChecking & SessionIssuing

    package static let challengeLifetime: Int64 = 5 * 60_000
    package static let nameLength = 1...100
    package static let maxCredentialsPerUser = 20

    package static func register(on router: inout Router, accounts: any WebAuthnRoutes.Services) {
        router.api(.GET, "/users/@me/mfa/webauthn/credentials") { request in try list(request, accounts) }
        router.addDeferred(.POST, "/users/@me/mfa/webauthn/credentials/registration-options") { request, writer in
            registrationOptions(request, writer, accounts)
        }
        router.addDeferred(.POST, "/users/@me/mfa/webauthn/credentials") { request, writer in registerCredential(request, writer, accounts) }
        router.addDeferred(.PATCH, "/users/@me/mfa/webauthn/credentials/:credential_id") { request, writer in rename(request, writer, accounts) }
        router.addDeferred(.DELETE, "/users/@me/mfa/webauthn/credentials/:credential_id") { request, writer in remove(request, writer, accounts) }
        router.api(.POST, "/users/@me/sudo/webauthn/authentication-options") { request in
            let user = try accounts.requireUser(request, allowBots: false).user
            return try authenticationOptions(for: user, purpose: "sudo", ticketHash: nil, accounts)
        }
        router.api(.POST, "/auth/login/mfa/webauthn/authentication-options") { request in
            try accounts.refuseBots(request)
            let body = try JSONBody.decode(MFALoginRoutes.TicketBody.self, from: request)
            let user = try accounts.context.database.read { db -> User? in
                guard let id = try MFATicket.user(of: body.ticket, now: accounts.now, in: db) else { return nil }
                return try UserStore.find(id: id, in: db)
            }
            guard let user, user.webauthnCount > 0 else { throw MFATicket.timeout(path: "ticket") }
            return try authenticationOptions(for: user, purpose: "login", ticketHash: MFATicket.hash(body.ticket), accounts)
        }
        router.api(.POST, "/auth/login/mfa/webauthn") { request in try login(request, accounts) }
        router.api(.POST, "/auth/webauthn/authentication-options") { request in try passkeyOptions(request, accounts) }
        router.api(.POST, "/auth/webauthn/authenticate") { request in try passkeyLogin(request, accounts) }
    }

    // MARK: - Shared

    package static func policy(_ config: Config) -> WebAuthnPolicy {
        WebAuthnPolicy(rpID: config.effectiveWebAuthnRPID, origins: config.effectiveWebAuthnOrigins,
                       requireUserVerification: config.webauthnUserVerification == "required")
    }

    /// The opaque user handle: the 8-byte big-endian user id (no personal data, WebAuthn §14.6.1).
    package static func userHandle(_ userID: UInt64) -> [UInt8] {
        withUnsafeBytes(of: userID.bigEndian) { Array($0) }
    }

    package static func issueChallenge(userID: UInt64, purpose: String, ticketHash: [UInt8]?, now: Int64, in db: SQLTransaction) throws -> [UInt8] {
        let challenge = WebAuthnVerifier.makeChallenge()
        try WebAuthnStore.deleteExpiredChallenges(now: now, in: db)
        try WebAuthnStore.insertChallenge(hash: SHA256.hash(challenge), userID: userID, purpose: purpose, ticketHash: ticketHash,
                                          expiresAt: now + challengeLifetime, in: db)
        return challenge
    }

    /// Consumes a challenge bound to this user, purpose (and ticket); nil when unknown, foreign or expired.
    package static func consumeChallenge(_ text: String, userID: UInt64, purpose: String, ticketHash: [UInt8]?, now: Int64,
                                 in db: SQLTransaction) throws -> [UInt8]? {
        guard let challenge = Base64URL.decode(text), challenge.count == WebAuthnVerifier.challengeBytes,
              let spent = try WebAuthnStore.consumeChallenge(hash: SHA256.hash(challenge), purpose: purpose, userID: userID, now: now, in: db)
        else { return nil }
        if let ticketHash, spent.ticketHash != ticketHash { return nil }
        return challenge
    }

    package static func authenticationOptions(for user: User, purpose: String, ticketHash: [UInt8]?, _ accounts: any WebAuthnRoutes.Services) throws -> HTTPResponse {
        guard user.webauthnCount > 0 else {
            throw APIError(.badRequest, code: "NO_PASSKEYS_REGISTERED", message: "No security key is registered.")
        }
        let (challenge, ids) = try accounts.write { db, _ in
            (try issueChallenge(userID: user.id, purpose: purpose, ticketHash: ticketHash, now: accounts.now, in: db),
             try WebAuthnStore.credentialIDs(userID: user.id, in: db))
        }
        return .json(.ok, WebAuthnVerifier.requestOptions(policy: policy(accounts.context.config), challenge: challenge, allowCredentials: ids),
                     headers: ["Cache-Control": "no-store"])
    }

    // MARK: - Registration

    package static func registrationOptions(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any WebAuthnRoutes.Services) {
        writer.respondAsync { reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            let user = principal.user
            guard user.webauthnCount < maxCredentialsPerUser else {
                throw APIError(.badRequest, code: "WEBAUTHN_CREDENTIAL_LIMIT_REACHED", message: "WebAuthn credential limit reached (at most \(maxCredentialsPerUser)).")
            }
            try accounts.requireSudo(principal, request: request, reply: reply, issueToken: false) {
                let (challenge, ids) = try accounts.write { db, _ in
                    (try issueChallenge(userID: user.id, purpose: "register", ticketHash: nil, now: accounts.now, in: db),
                     try WebAuthnStore.credentialIDs(userID: user.id, in: db))
                }
                return .json(.ok, WebAuthnVerifier.creationOptions(
                    policy: policy(accounts.context.config), rpName: accounts.context.config.webauthnRPName, userID: userHandle(user.id),
                    userName: user.email ?? user.username, userDisplayName: user.globalName ?? user.username,
                    challenge: challenge, excludeCredentials: ids), headers: ["Cache-Control": "no-store"])
            }
        }
    }

    package struct RegisterBody: Decodable {
        package var response: WebAuthnCredentialJSON
        package var challenge: String
        package var name: String
    }

    package static let invalidCredential = APIError.invalidField("response", "The security key response could not be verified.", code: "INVALID_WEBAUTHN_CREDENTIAL")

    package static func registerCredential(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any WebAuthnRoutes.Services) {
        writer.respondAsync { reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            let body = try JSONBody.decode(RegisterBody.self, from: request)
            let name = body.name.trimmingASCIIWhitespace()
            guard nameLength.contains(AccountValidation.jsLength(name)) else {
                throw APIError.invalidField("name", "Name must be between 1 and 100 characters.", code: "STRING_LENGTH_INVALID")
            }
            guard let clientData = Base64URL.decode(body.response.response.clientDataJSON),
                  let attestation = body.response.response.attestationObject.flatMap(Base64URL.decode)
            else { throw invalidCredential }
            try accounts.requireSudo(principal, request: request, reply: reply, issueToken: false) {
                let user = principal.user
                enum Outcome { case stored, refused(APIError) }
                let outcome = try accounts.write { db, invalidations -> Outcome in
                    guard let challenge = try consumeChallenge(body.challenge, userID: user.id, purpose: "register", ticketHash: nil,
                                                               now: accounts.now, in: db)
                    else { return .refused(APIError.invalidField("challenge", "Unknown or expired challenge.", code: "INVALID_WEBAUTHN_CHALLENGE")) }
                    let credential: RegisteredCredential
                    do {
                        credential = try WebAuthnVerifier.verifyRegistration(
                            clientDataJSON: clientData, attestationObject: attestation, expectedChallenge: challenge,
                            policy: policy(accounts.context.config))
                    } catch let error as WebAuthnError {
                        return .refused(APIError.invalidField("response", "The security key response was refused: \(error.reason).",
                                                              code: "INVALID_WEBAUTHN_CREDENTIAL"))
                    }
                    // WebAuthn §7.1 step 22: a credential id registered anywhere is refused.
                    guard try !WebAuthnStore.credentialExists(id: credential.credentialID, in: db) else {
                        return .refused(APIError.invalidField("response", "This security key is already registered.", code: "WEBAUTHN_CREDENTIAL_EXISTS"))
                    }
                    try WebAuthnStore.insertCredential(credential, userID: user.id, name: name, now: accounts.now, in: db)
                    invalidations.users.append(user.id)
                    return .stored
                }
                if case .refused(let error) = outcome { throw error }
                accounts.audit.record("mfa.webauthn_register", outcome: "success", userID: user.id, request: request)
                return .noContent
            }
        }
    }

    // MARK: - Management

    package static func list(_ request: HTTPRequest, _ accounts: any WebAuthnRoutes.Services) throws -> HTTPResponse {
        let user = try accounts.requireUser(request, allowBots: false).user
        let credentials = try accounts.context.database.read { db in try WebAuthnStore.credentials(userID: user.id, in: db) }
        return .json(.ok, JSONValue.array(credentials.map { credential in
            .object([
                ("id", .string(Base64URL.encode(credential.id))), ("name", .string(credential.name)),
                ("created_at", .string(ISO8601.format(milliseconds: credential.createdAt))),
                ("last_used_at", credential.lastUsedAt.map { .string(ISO8601.format(milliseconds: $0)) } ?? .null),
            ])
        }))
    }

    package struct RenameBody: Decodable {
        package var name: String
    }

    package static let unknownCredential = APIError(.notFound, code: "UNKNOWN_WEBAUTHN_CREDENTIAL", message: "Unknown security key.")

    package static func rename(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any WebAuthnRoutes.Services) {
        writer.respondAsync { reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            let body = try JSONBody.decode(RenameBody.self, from: request)
            let name = body.name.trimmingASCIIWhitespace()
            guard nameLength.contains(AccountValidation.jsLength(name)) else {
                throw APIError.invalidField("name", "Name must be between 1 and 100 characters.", code: "STRING_LENGTH_INVALID")
            }
            guard let id = request.parameters["credential_id"].flatMap(Base64URL.decode) else { throw unknownCredential }
            try accounts.requireSudo(principal, request: request, reply: reply) {
                let renamed = try accounts.write { db, _ in
                    try WebAuthnStore.rename(credentialID: id, userID: principal.user.id, name: name, in: db)
                }
                guard renamed else { throw unknownCredential }
                return .noContent
            }
        }
    }

    package static func remove(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any WebAuthnRoutes.Services) {
        writer.respondAsync { reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            guard let id = request.parameters["credential_id"].flatMap(Base64URL.decode) else { throw unknownCredential }
            try accounts.requireSudo(principal, request: request, reply: reply) {
                let removed = try accounts.write { db, invalidations in
                    invalidations.users.append(principal.user.id)
                    return try WebAuthnStore.delete(credentialID: id, userID: principal.user.id, in: db)
                }
                guard removed else { throw unknownCredential }
                return .noContent
            }
        }
    }

    // MARK: - Authentication

    package struct LoginBody: Decodable {
        package var response: WebAuthnCredentialJSON
        package var challenge: String
        package var ticket: String
    }

    package static func login(_ request: HTTPRequest, _ accounts: any WebAuthnRoutes.Services) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        let body = try JSONBody.decode(LoginBody.self, from: request)
        let ticketHash = MFATicket.hash(body.ticket)
        enum Outcome { case session(UInt64, String), refused(APIError) }
        let outcome = try accounts.write { db, invalidations -> Outcome in
            guard let userID = try MFATicket.user(of: body.ticket, now: accounts.now, in: db), let user = try UserStore.find(id: userID, in: db)
            else { return .refused(MFATicket.timeout(path: "ticket")) }
            let locked = user.isLocked(at: accounts.now)
            guard !locked, try assertion(user, body.response, challenge: body.challenge, purpose: "login", ticketHash: ticketHash, accounts, in: db) else {
                try MFATicket.recordFailure(body.ticket, in: db)
                if !locked { try AccountLockout.recordFailure(userID: userID, now: accounts.now, policy: accounts.lockoutPolicy, in: db) }
                accounts.audit.record("mfa.failure", outcome: "failure", userID: userID, request: request, detail: "webauthn")
                accounts.context.metrics.login(.mfaFailure)
                return .refused(MFATicket.invalidCode)
            }
            guard try MFATicket.consume(body.ticket, in: db) else { return .refused(MFATicket.timeout(path: "ticket")) }
            try AccountLockout.recordSuccess(userID: userID, in: db)
            accounts.audit.record("login.success", outcome: "success", userID: userID, request: request, detail: "webauthn")
            return .session(userID, try accounts.createSession(for: userID, request: request, in: db, &invalidations))
        }
        switch outcome {
        case .refused(let error): throw error
        case .session(let userID, let token):
            return APIError.sessionResponse(userID: userID, token: token)
        }
    }

    /// WebAuthn §7.2 against a stored credential, inside the caller's transaction: consumes the challenge,
    /// checks the credential was offered and is the user's, verifies the signature, and stores the new sign
    /// count — or records a possible clone and refuses.
    package static func assertion(_ user: User, _ response: WebAuthnCredentialJSON, challenge: String, purpose: String, ticketHash: [UInt8]?,
                          _ accounts: any WebAuthnRoutes.Services, in db: SQLTransaction) throws -> Bool {
        guard let expected = try consumeChallenge(challenge, userID: user.id, purpose: purpose, ticketHash: ticketHash, now: accounts.now, in: db)
        else { return false }
        let offered = try WebAuthnStore.credentialIDs(userID: user.id, in: db)
        return try verifyStoredCredential(user, response, expected: expected, offered: offered, policy: policy(accounts.context.config),
                                          accounts, in: db)
    }

    /// §7.2 once the challenge is known good: the credential is `user`'s (offered in `allowCredentials`, or, for
    /// a usernameless ceremony with nothing offered, named by the user handle), the signature verifies, and the
    /// sign count moves forward; a count that does not is flagged as a possible clone and refused (WA-12).
    package static func verifyStoredCredential(_ user: User, _ response: WebAuthnCredentialJSON, expected: [UInt8], offered: [[UInt8]],
                                       policy: WebAuthnPolicy, _ accounts: any WebAuthnRoutes.Services, in db: SQLTransaction) throws -> Bool {
        guard let credentialID = Base64URL.decode(response.rawId ?? response.id),
              let clientData = Base64URL.decode(response.response.clientDataJSON),
              let authData = response.response.authenticatorData.flatMap(Base64URL.decode),
              let signature = response.response.signature.flatMap(Base64URL.decode),
              let stored = try WebAuthnStore.storedKey(credentialID: credentialID, userID: user.id, in: db),
              let coseValue = try? CBORDecoder.decode(stored.publicKey).value, let key = try? COSEKey.parse(coseValue)
        else { return false }
        let handle = response.response.userHandle.flatMap(Base64URL.decode)
        let count: UInt32
        do {
            try WebAuthnVerifier.checkCredential(credentialID, allowCredentials: offered, userHandle: handle, ownerHandle: userHandle(user.id))
            count = try WebAuthnVerifier.verifyAssertion(
                clientDataJSON: clientData, authenticatorData: authData, signature: signature, credentialPublicKey: key,
                storedSignCount: stored.signCount, expectedChallenge: expected,
                policy: policy, storedBackupEligible: stored.backupEligible)
        } catch {
            if case .possibleClone = error {
                try WebAuthnStore.recordPossibleClone(credentialID: credentialID, now: accounts.now, in: db)
                accounts.context.logger.warning("webauthn sign count did not increase: possible cloned authenticator",
                                                metadata: ["user_id": "\(user.id)"])
            } else if case .backupEligibilityChanged = error {
                accounts.context.logger.warning("webauthn backup eligibility changed since registration: refused (WA-06)",
                                                metadata: ["user_id": "\(user.id)"])
            }
            return false
        }
        // A credential registered before BE was stored learns it from this first accepted assertion.
        let eligible = (try? AuthenticatorData.parse(authData))?.backupEligible
        try WebAuthnStore.recordUse(credentialID: credentialID, signCount: count, backupEligible: eligible, now: accounts.now, in: db)
        return true
    }

    // MARK: - Passwordless passkey login

    /// Outstanding passkey challenges allowed at once: they are issued without authentication, so this bounds
    /// the table whatever the per-client rate limits let through.
    package static let maxPendingPasskeyChallenges: Int64 = 10_000
    /// Outstanding passkey challenges one client (IPv4 address, IPv6 /64) may hold: the global cap above must not
    /// be fillable by one client and so shut everyone else out.
    package static let maxPendingPasskeyChallengesPerClient: Int64 = 20

    package static let passkeyFailed = APIError.invalidField("response", "Passkey authentication failed.", code: "PASSKEY_AUTHENTICATION_FAILED")
    package static let unknownChallenge = APIError.invalidField("challenge", "Unknown or expired challenge.", code: "INVALID_WEBAUTHN_CHALLENGE")

    /// `POST /auth/webauthn/authentication-options`: request options for a discoverable credential (empty
    /// `allowCredentials`, so the authenticator picks the account), with user verification required: a passkey
    /// is the whole login, so it must be two factors in one (possession and PIN or biometric; NIST SP 800-63B
    /// §5.1.9 multi-factor cryptographic authenticator).
    package static func passkeyOptions(_ request: HTTPRequest, _ accounts: any WebAuthnRoutes.Services) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        try accounts.refuseLocalAuthWhenSSOEnforced()
        let client = ClientKey.of(request.remoteAddress)
        enum Issued { case challenge([UInt8]), clientFull, full }
        let issued = try accounts.write { db, _ -> Issued in
            let now = accounts.now
            try WebAuthnStore.deleteExpiredChallenges(now: now, in: db)
            let mine = try WebAuthnStore.pendingChallenges(clientKey: client, now: now, in: db)
            guard mine < maxPendingPasskeyChallengesPerClient else { return .clientFull }
            let pending = try WebAuthnStore.pendingPasskeyChallenges(now: now, in: db)
            guard pending < maxPendingPasskeyChallenges else { return .full }
            let challenge = WebAuthnVerifier.makeChallenge()
            try WebAuthnStore.insertPasskeyChallenge(hash: SHA256.hash(challenge), expiresAt: now + challengeLifetime, clientKey: client, in: db)
            return .challenge(challenge)
        }
        let challenge: [UInt8]
        switch issued {
        case .challenge(let c): challenge = c
        case .clientFull:
            accounts.context.metrics.rateLimited(limiter: "pending", bucket: "passkey_challenges")
            throw APIError.rateLimited(retryAfterMilliseconds: challengeLifetime, global: false)
        case .full:
            throw APIError.serviceUnavailable(retryAfterSeconds: 5, message: "Too many passkey sign-ins in progress; try again shortly.")
        }
        var passkeyPolicy = policy(accounts.context.config)
        passkeyPolicy.requireUserVerification = true
        return .json(.ok, WebAuthnVerifier.requestOptions(policy: passkeyPolicy, challenge: challenge, allowCredentials: []),
                     headers: ["Cache-Control": "no-store"])
    }

    package struct PasskeyBody: Decodable {
        package var response: WebAuthnCredentialJSON
        package var challenge: String
    }

    /// `POST /auth/webauthn/authenticate {response, challenge}`: WebAuthn §7.2 for a usernameless ceremony. The
    /// challenge is spent by the first attempt whatever its outcome (WA-02); the credential names its owner,
    /// and the user handle must match that owner. Success is a session (`{token, user_id}`) with no MFA
    /// ticket: user verification is required, so the passkey is already multi-factor. Every refusal has one
    /// answer, so the response tells nothing about which credentials exist.
    package static func passkeyLogin(_ request: HTTPRequest, _ accounts: any WebAuthnRoutes.Services) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        try accounts.refuseLocalAuthWhenSSOEnforced()
        let body = try JSONBody.decode(PasskeyBody.self, from: request)
        enum Outcome { case session(UInt64, String), refused(APIError) }
        var passkeyPolicy = policy(accounts.context.config)
        passkeyPolicy.requireUserVerification = true
        let outcome = try accounts.write { db, invalidations -> Outcome in
            let now = accounts.now
            guard let challenge = Base64URL.decode(body.challenge), challenge.count == WebAuthnVerifier.challengeBytes,
                  try WebAuthnStore.consumePasskeyChallenge(hash: SHA256.hash(challenge), now: now, in: db)
            else { return .refused(unknownChallenge) }
            guard let credentialID = Base64URL.decode(body.response.rawId ?? body.response.id),
                  let owner = try WebAuthnStore.owner(credentialID: credentialID, in: db),
                  let user = try UserStore.find(id: owner, in: db), !user.isBot
            else {
                accounts.audit.record("login.failure", outcome: "failure", request: request, detail: "passkey_unknown_credential")
                return .refused(passkeyFailed)
            }
            // Password and code failures never block a passkey (LG-02: a lock must not become a denial of service),
            // and a failed assertion is no guess at a secret, so it does not count towards the lock either. An
            // address nobody has proven (pre-account hijacking) signs in with no passkey: whoever registered it
            // may not own it. Every refusal has the same answer.
            guard try verifyStoredCredential(user, body.response, expected: challenge, offered: [], policy: passkeyPolicy, accounts, in: db)
            else {
                accounts.audit.record("login.failure", outcome: "failure", userID: user.id, request: request, detail: "passkey")
                return .refused(passkeyFailed)
            }
            guard user.verified || user.email == nil else {
                accounts.audit.record("login.failure", outcome: "refused", userID: user.id, request: request, detail: "passkey_unverified_email")
                return .refused(passkeyFailed)
            }
            try AccountLockout.recordSuccess(userID: user.id, in: db)
            accounts.audit.record("login.success", outcome: "success", userID: user.id, request: request, detail: "passkey")
            return .session(user.id, try accounts.createSession(for: user.id, request: request, in: db, &invalidations))
        }
        switch outcome {
        case .refused(let error): throw error
        case .session(let userID, let token):
            return APIError.sessionResponse(userID: userID, token: token)
        }
    }
}

extension Accounts {
    /// A WebAuthn second factor for sudo or login; the challenge is consumed even when the proof fails.
    package func verifyWebAuthnAssertion(_ user: User, credential: WebAuthnCredentialJSON, challenge: String, purpose: FactorPurpose, scope: String) throws {
        let ok = try write { db, _ in
            try WebAuthnRoutes.assertion(user, credential, challenge: challenge, purpose: purpose.rawValue, ticketHash: nil, self, in: db)
        }
        guard ok else { throw Self.invalidMFACode }
    }
}
