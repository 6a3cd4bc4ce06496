/// Storage of password changes in progress (emailed codes, verification proofs): the contract `PasswordChangeStore`
/// (FluxerPersistence) fulfils on SQLite and PostgreSQL alike. Every function runs inside the caller's transaction (`in
/// db:`) and does nothing but its statements: a PostgreSQL write may run again after a serialization failure.
package protocol PasswordChangeStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Stores a new ticket with its first code.
    static func insert(ticketHash: [UInt8], userID: UInt64, codeHash: [UInt8], now: Int64, codeExpiresAt: Int64,
                     expiresAt: Int64, in db: Transaction) throws
    /// The ticket stored under `ticketHash`; nil when unknown.
    static func ticket(hash ticketHash: [UInt8], in db: Transaction) throws -> PasswordChangeTicket?
    /// Counts a wrong code against a pending ticket.
    static func recordCodeFailure(ticketHash: [UInt8], in db: Transaction) throws
    /// Spends the code: the ticket becomes verified with the proof's hash when it is still pending with this code,
    /// fewer than `maxFailures` wrong tries and the code and ticket unexpired; false when another request spent it.
    static func verify(ticketHash: [UInt8], userID: UInt64, codeHash: [UInt8], proofHash: [UInt8],
                     maxFailures: Int64, now: Int64, in db: Transaction) throws -> Bool
    /// A new code for a pending ticket whose last code went out at or before `sentNotAfter`; false otherwise.
    static func replaceCode(ticketHash: [UInt8], userID: UInt64, codeHash: [UInt8], now: Int64, codeExpiresAt: Int64,
                     sentNotAfter: Int64, in db: Transaction) throws -> Bool
    /// Spends the proof: the ticket becomes completed when it is still verified with this proof and unexpired;
    /// false when another request completed it first.
    static func complete(ticketHash: [UInt8], userID: UInt64, proofHash: [UInt8], now: Int64,
                     in db: Transaction) throws -> Bool
    /// Deletes the user's tickets other than `keeping` (a password set another way, or this change done).
    static func deleteTickets(userID: UInt64, keeping ticketHash: [UInt8]?, in db: Transaction) throws
}

/// A ticket's state.
package struct PasswordChangeTicket: Equatable, Sendable {
    package var userID: UInt64
    /// `pending`, `verified` or `completed`.
    package var status: String
    package var codeHash: [UInt8]?
    package var codeSentAt: Int64
    package var codeExpiresAt: Int64
    package var codeFailures: Int64
    package var proofHash: [UInt8]?
    package var expiresAt: Int64

    /// The memberwise initializer, visible to the other targets of the package.
    package init(userID: UInt64, status: String, codeHash: [UInt8]? = nil, codeSentAt: Int64, codeExpiresAt: Int64, codeFailures: Int64, proofHash: [UInt8]? = nil, expiresAt: Int64) {
        self.userID = userID
        self.status = status
        self.codeHash = codeHash
        self.codeSentAt = codeSentAt
        self.codeExpiresAt = codeExpiresAt
        self.codeFailures = codeFailures
        self.proofHash = proofHash
        self.expiresAt = expiresAt
    }
}
