import FluxerDomain
import FluxerPersistence
import HTTPServer
import SQLite

// The services `Accounts` offers, one protocol per concern. A route group names the ones it uses
// (`AuthRoutes.Services`, `TokenRoutes.Services`, …) and gets nothing else: the compiler refuses a route that
// reaches past them. `Accounts` is the one implementation; tests and other compositions may bring others.

/// The request's context and the write path every service shares: a transaction whose cache invalidations reach
/// every node after commit, the clock and the audit log.
package protocol AccountsCore: AnyObject, Sendable {
    var context: AppContext { get }
    var now: Int64 { get }
    var audit: AuditLog { get }
    func write<T>(_ body: (SQLTransaction, inout Invalidations) throws -> T) throws -> T
}

/// Who is calling, as the request's filters identified it.
package protocol CallerResolving: AccountsCore {
    var authenticator: Authenticator { get }
    func caller(_ request: HTTPRequest) throws -> Caller
    func principal(_ request: HTTPRequest) throws -> Principal?
    func requireUser(_ request: HTTPRequest, allowBots: Bool, scope: OAuthScope?) throws -> Principal
    func refuseBots(_ request: HTTPRequest) throws
    func refuseLocalAuthWhenSSOEnforced() throws(APIError)
}

extension CallerResolving {
    package func requireUser(_ request: HTTPRequest) throws -> Principal { try requireUser(request, allowBots: true, scope: nil) }
    package func requireUser(_ request: HTTPRequest, allowBots: Bool) throws -> Principal {
        try requireUser(request, allowBots: allowBots, scope: nil)
    }
    package func requireUser(_ request: HTTPRequest, scope: OAuthScope?) throws -> Principal {
        try requireUser(request, allowBots: true, scope: scope)
    }
}

/// Sessions: minting one, their expiry, and shutting an unverified account's registrant out.
package protocol SessionIssuing: AccountsCore {
    func createSession(for userID: UInt64, request: HTTPRequest, in db: SQLTransaction, _ invalidations: inout Invalidations) throws -> String
    func lastRecordedUse(_ session: SessionRecord) -> Int64
    func isExpired(_ session: SessionRecord, now: Int64) -> Bool
    func claimUnverifiedAccount(_ userID: UInt64, reason: String, keepPassword: Bool, request: HTTPRequest?, in db: SQLTransaction,
                                invalidations: inout Invalidations) throws
}

/// Passwords: hashing on the hash pool, throttles and lockout, the login and registration flows.
package protocol PasswordChecking: AccountsCore {
    var lockoutPolicy: AccountLockout.Policy { get }
    func throttle(_ keys: [(String, RateLimit)], in db: SQLTransaction) throws
    func loginAttempt(email: String, request: HTTPRequest) throws -> User?
    func verifyOnPool(_ password: String, against hash: String?, reply: Reply, then: @escaping @Sendable (Bool) throws -> Void) throws
    func hashOnPool(_ password: String, reply: Reply, then: @escaping @Sendable (String) throws -> Void) throws
    func passwordAccepted(_ user: User, password: String, request: HTTPRequest) throws -> Accounts.PasswordOutcome
    func completeLogin(_ user: User, password: String, request: HTTPRequest) throws -> HTTPResponse
    func createAccount(_ body: AuthRoutes.RegisterBody, passwordHash: String?, request: HTTPRequest) throws -> HTTPResponse
    func proofFailed(_ user: User, ok: Bool, request: HTTPRequest?, event: String) throws
    func isLocked(_ user: User) throws -> Bool
}

extension PasswordChecking {
    package func proofFailed(_ user: User, request: HTTPRequest?, event: String) throws {
        try proofFailed(user, ok: false, request: request, event: event)
    }
}

/// Mail and SMS through the outbox.
package protocol Messaging: AccountsCore {
    func deliveryNudge()
    func sendVerification(to user: User, email: String, in db: SQLTransaction) throws
    func sendPasswordReset(to user: User, email: String, in db: SQLTransaction) throws
    func sendIPAuthorization(username: String, email: String, token: String, clientIP: String, in db: SQLTransaction) throws
    func sendPasswordChangeCode(username: String, email: String, code: String, in db: SQLTransaction) throws
    func consumeEmailToken(_ token: String, purpose: String, in db: SQLTransaction) throws -> (userID: UInt64, email: String)?
    func sendSMS(to phone: String, kind: String, code: String, request: HTTPRequest, in db: SQLTransaction) throws
    func sendEmailChange(to user: User, newEmail: String, in db: SQLTransaction) throws
    func redeemEmailChange(_ token: String, userID expected: UInt64?, in db: SQLTransaction, invalidations: inout Invalidations) throws -> UInt64?
}

/// IP authorization (`security.ip_authorization`): the keyed hashes that stand for a user's networks.
package protocol IPAuthorizing: AccountsCore {
    func authorizedIPKey(userID: UInt64, address: String) -> [UInt8]
}

/// Sudo mode and second factors (TOTP, SMS, WebAuthn, backup codes).
package protocol SudoChecking: CallerResolving, PasswordChecking {
    var mfaKeys: MFAKeys { get }
    func requireSudo(_ principal: Principal, request: HTTPRequest, reply: Reply, issueToken: Bool,
                     then: @escaping @Sendable () throws -> HTTPResponse) throws
    func verifySecondFactor(_ user: User, method: MFAMethod, code: String?, webauthn: WebAuthnCredentialJSON?, challenge: String?,
                            purpose: Accounts.FactorPurpose, scope: String, request: HTTPRequest?, reply: Reply,
                            then: @escaping @Sendable () throws -> HTTPResponse) throws
    func verifyWebAuthnAssertion(_ user: User, credential: WebAuthnCredentialJSON, challenge: String, purpose: Accounts.FactorPurpose,
                                 scope: String) throws
}

extension SudoChecking {
    package func requireSudo(_ principal: Principal, request: HTTPRequest, reply: Reply,
                             then: @escaping @Sendable () throws -> HTTPResponse) throws {
        try requireSudo(principal, request: request, reply: reply, issueToken: true, then: then)
    }
    package func verifySecondFactor(_ user: User, method: MFAMethod, code: String?, webauthn: WebAuthnCredentialJSON?, challenge: String?,
                                    purpose: Accounts.FactorPurpose, request: HTTPRequest?, reply: Reply,
                                    then: @escaping @Sendable () throws -> HTTPResponse) throws {
        try verifySecondFactor(user, method: method, code: code, webauthn: webauthn, challenge: challenge, purpose: purpose, scope: "sudo",
                               request: request, reply: reply, then: then)
    }
}

extension Accounts: CallerResolving, SessionIssuing, PasswordChecking, Messaging, SudoChecking, IPAuthorizing {}
