extension PostgresError {
    /// A PostgreSQL error code (PostgreSQL docs, Appendix A "PostgreSQL Error Codes"): five characters, the
    /// first two naming the class. Stores compare against the constants below rather than message text.
    public struct SQLState: Sendable, Hashable, CustomStringConvertible {
        /// The five-character code, e.g. `23505`.
        public let code: String

        /// Wraps a code.
        public init(code: String) { self.code = code }

        /// The two-character class, e.g. `23` (integrity constraint violation).
        public var errorClass: Substring { code.prefix(2) }

        /// The code itself.
        public var description: String { code }

        /// `unique_violation`.
        public static let uniqueViolation = SQLState(code: "23505")
        /// `foreign_key_violation`.
        public static let foreignKeyViolation = SQLState(code: "23503")
        /// `not_null_violation`.
        public static let notNullViolation = SQLState(code: "23502")
        /// `check_violation`.
        public static let checkViolation = SQLState(code: "23514")
        /// `serialization_failure`: a REPEATABLE READ or SERIALIZABLE transaction lost a conflict.
        public static let serializationFailure = SQLState(code: "40001")
        /// `deadlock_detected`.
        public static let deadlockDetected = SQLState(code: "40P01")
        /// `lock_not_available` (`lock_timeout`, `NOWAIT`).
        public static let lockNotAvailable = SQLState(code: "55P03")
        /// `query_canceled` (`statement_timeout`, a cancel request).
        public static let queryCanceled = SQLState(code: "57014")
        /// `admin_shutdown`: the backend was terminated (`pg_terminate_backend`, smart or fast shutdown).
        public static let adminShutdown = SQLState(code: "57P01")
        /// `crash_shutdown`.
        public static let crashShutdown = SQLState(code: "57P02")
        /// `cannot_connect_now`: the server is starting up or in recovery.
        public static let cannotConnectNow = SQLState(code: "57P03")
        /// `undefined_table`.
        public static let undefinedTable = SQLState(code: "42P01")
        /// `feature_not_supported`; also "cached plan must not change result type" after a schema change.
        public static let featureNotSupported = SQLState(code: "0A000")
        /// `invalid_text_representation`.
        public static let invalidTextRepresentation = SQLState(code: "22P02")
    }
}
