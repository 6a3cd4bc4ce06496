import FluxerDomain
import SQLite

/// SQL for the expiry sweep (`Maintenance`): which rows of which table are dead at a given time, and the
/// batched delete that removes them.
package enum MaintenanceStore {
    /// Rows of `table` matching `condition` (where `?` is now in Unix ms) are dead; `key` names them for the
    /// batched delete.
    package struct Rule: Sendable {
        package var table: String
        package var key: String
        package var condition: String
    }

    /// Every table with rows that expire, except sessions (`sessionRule`: their lifetimes are configured).
    package static let rules: [Rule] = [
        // Codes stay a day past expiry so a late replay still finds them and revokes what they issued.
        Rule(table: "oauth2_codes", key: "code_hash", condition: "expires_at < ? - 86400000"),
        Rule(table: "oauth2_tokens", key: "token_hash", condition: "expires_at < ?"),
        Rule(table: "oauth2_families", key: "id",
             condition: "(revoked_at IS NOT NULL OR created_at < ? - 2678400000) AND NOT EXISTS (SELECT 1 FROM oauth2_tokens t WHERE t.family_id = oauth2_families.id)"),
        Rule(table: "mfa_tickets", key: "ticket_hash", condition: "expires_at < ?"),
        Rule(table: "mfa_pending_totp", key: "user_id", condition: "expires_at < ?"),
        Rule(table: "sms_codes", key: "id", condition: "expires_at < ? - 3600000"),
        Rule(table: "phone_tokens", key: "token_hash", condition: "expires_at < ?"),
        Rule(table: "webauthn_challenges", key: "challenge_hash", condition: "expires_at < ?"),
        Rule(table: "email_tokens", key: "token_hash", condition: "expires_at < ?"),
        Rule(table: "sso_states", key: "state_hash", condition: "expires_at < ?"),
        Rule(table: "sso_completions", key: "code_hash", condition: "expires_at < ?"),
        Rule(table: "ip_authorizations", key: "ticket_hash", condition: "expires_at < ?"),
        Rule(table: "password_change_tickets", key: "ticket_hash", condition: "expires_at < ?"),
        Rule(table: "desktop_handoffs", key: "code_hash", condition: "expires_at < ?"),
        Rule(table: "email_change_tokens", key: "token_hash", condition: "expires_at < ?"),
        Rule(table: "rate_limits", key: "key", condition: "tat < ?"),
        Rule(table: "cache_invalidations", key: "id", condition: "created_at < ? - \(CacheInvalidationStore.retentionMilliseconds)"),
    ]

    /// Sessions past their absolute lifetime, or idle for longer than `idleMilliseconds` (SE-07). `?1` is now.
    package static func sessionRule(absoluteMilliseconds: Int64, idleMilliseconds: Int64) -> Rule {
        Rule(table: "sessions", key: "id_hash",
             condition: "created_at <= ?1 - \(absoluteMilliseconds) OR last_used_at <= ?1 - \(idleMilliseconds)")
    }

    /// Deletes up to `limit` rows that `rule` finds dead at `now`; returns how many went.
    package static func deleteExpired(_ rule: Rule, now: Int64, limit: Int, in db: SQLTransaction) throws -> Int {
        try db.run("DELETE FROM \(rule.table) WHERE \(rule.key) IN (SELECT \(rule.key) FROM \(rule.table) WHERE \(rule.condition) LIMIT \(limit))", now)
    }
}
