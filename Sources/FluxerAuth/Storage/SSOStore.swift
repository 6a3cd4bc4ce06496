import FluxerPersistence
import SQLite

/// SQL for single sign-on: sign-ins in progress (`sso_states`, stored as SHA-256 of the state) and provider
/// accounts linked to users (`sso_identities`). Every function runs inside the caller's transaction.
enum SSOStore {
    /// Whether any provider account is linked to the user.
    static func hasIdentity(userID: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.queryOne("SELECT 1 FROM sso_identities WHERE user_id = ?", Int64(bitPattern: userID)) != nil
    }
}
