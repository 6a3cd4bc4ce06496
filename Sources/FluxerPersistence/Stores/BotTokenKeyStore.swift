import FluxerDomain

/// SQL for the bot-token keys `fluxer-auth keys rotate` adds and the retirements `keys retire` records
/// (`bot_token_keys`); see `BotTokenKeySet` for what they mean. Runs inside the caller's transaction.
package enum BotTokenKeyStore: BotTokenKeyStorage {
    package static func all(in db: SQLTransaction) throws -> [BotTokenKeyRow] {
        try db.query("SELECT kid, source, secret_sealed, fingerprint, created_at, retired_at FROM bot_token_keys ORDER BY kid")
            .compactMap { row in
                guard let kid = row.int("kid").flatMap(UInt8.init(exactly:)),
                      let source = row.string("source").flatMap(BotTokenKeyRow.Source.init(rawValue:)),
                      let fingerprint = row.blob("fingerprint") else { return nil }
                return BotTokenKeyRow(kid: kid, source: source, secretSealed: row.blob("secret_sealed"), fingerprint: fingerprint,
                                      createdAt: row.int("created_at") ?? 0, retiredAt: row.int("retired_at"))
            }
    }

    /// Stores a row under its key id, replacing a row with that id.
    package static func upsert(_ row: BotTokenKeyRow, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO bot_token_keys (kid, source, secret_sealed, fingerprint, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (kid) DO UPDATE SET source = excluded.source, secret_sealed = excluded.secret_sealed,
                fingerprint = excluded.fingerprint, created_at = excluded.created_at, retired_at = excluded.retired_at
            """, Int64(row.kid), row.source.rawValue, row.secretSealed, row.fingerprint, row.createdAt, row.retiredAt)
    }

    /// Retires a database key and drops its sealed secret; false when no unretired database key has that id.
    package static func retire(kid: UInt8, now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE bot_token_keys SET retired_at = ?, secret_sealed = NULL WHERE kid = ? AND source = 'database' AND retired_at IS NULL
            """, now, Int64(kid)) > 0
    }
}
