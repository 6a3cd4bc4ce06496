import FluxerCrypto
import FluxerJSON

/// A user row.
public struct User: Sendable, Equatable {
    public var id: UInt64
    public var username: String
    public var discriminator: Int
    public var globalName: String?
    public var email: String?
    public var verified: Bool
    public var passwordHash: String?
    public var passwordChangedAt: Int64?
    public var avatar: String?
    public var flags: Int64
    public var isBot: Bool
    public var isSystem: Bool
    public var phone: String?
    public var createdAt: Int64
    /// TOTP is on (a sealed secret is stored).
    public var totpEnabled: Bool
    /// SMS codes are accepted as a second factor (requires TOTP and a phone).
    public var smsMFAEnabled: Bool
    /// Registered WebAuthn credentials.
    public var webauthnCount: Int
    /// Consecutive failed proofs (password, TOTP, SMS, backup codes) since the last success (LG-01).
    public var failedAttempts: Int
    /// Until when the account refuses every proof (unix ms).
    public var lockedUntil: Int64?
    /// The profile's bio.
    public var bio: String?
    /// The banner image's hash.
    public var banner: String?
    /// When an operator disabled the account (`fluxer-auth user disable`); nil for a normal account. A disabled
    /// account cannot sign in and none of its credentials is accepted.
    public var disabledAt: Int64? = nil

    /// Whether an operator disabled the account.
    public var isDisabled: Bool { disabledAt != nil }

    /// Whether the account is temporarily locked at `now`.
    public func isLocked(at now: Int64) -> Bool { (lockedUntil ?? 0) > now }

    /// The discriminator as the API shows it: four digits.
    public var discriminatorText: String {
        let s = String(discriminator)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    /// Whether a second factor is required: TOTP or a security key (SMS needs TOTP on).
    public var hasMFA: Bool { totpEnabled || webauthnCount > 0 }

    /// `authenticator_types`: TOTP 0, SMS 1, WebAuthn 2.
    public var authenticatorTypes: [Int] {
        (totpEnabled ? [0] : []) + (smsMFAEnabled && totpEnabled ? [1] : []) + (webauthnCount > 0 ? [2] : [])
    }

    /// The private user shape of `GET /users/@me` (OpenAPI `UserPrivateResponse`); fields this server does not
    /// model take their documented defaults. `bot` and `system` appear only when true.
    public func privateJSON(includeEmail: Bool = true) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(String(id))),
            ("username", .string(username)),
            ("discriminator", .string(discriminatorText)),
            ("global_name", globalName.map(JSONValue.string) ?? .null),
            ("avatar", avatar.map(JSONValue.string) ?? .null),
            ("avatar_color", .null),
            ("banner", banner.map(JSONValue.string) ?? .null),
            ("banner_color", .null),
            ("accent_color", .null),
            ("bio", bio.map(JSONValue.string) ?? .null),
            ("pronouns", .null),
            ("flags", .int(flags)),
        ]
        if isBot { members.append(("bot", true)) }
        if isSystem { members.append(("system", true)) }
        members += [
            ("email", includeEmail ? (email.map(JSONValue.string) ?? .null) : .null),
            ("email_bounced", false),
            ("verified", .bool(verified)),
            ("mfa_enabled", .bool(hasMFA)),
            ("authenticator_types", .array(authenticatorTypes.map { .int(Int64($0)) })),
            ("phone", phone.map(JSONValue.string) ?? .null),
            ("password_last_changed_at", passwordChangedAt.map { .string(ISO8601.format(milliseconds: $0)) } ?? .null),
            ("is_staff", .bool(flags & 1 != 0)),
            ("acls", .array([])),
            ("traits", .array([])),
            ("required_actions", .null),
            ("nsfw_allowed", false),
            ("premium_type", .null),
            ("premium_since", .null),
            ("premium_until", .null),
            ("premium_will_cancel", false),
            ("premium_billing_cycle", .null),
            ("premium_lifetime_sequence", .null),
            ("premium_badge_hidden", false),
            ("premium_badge_masked", false),
            ("premium_badge_timestamp_hidden", false),
            ("premium_badge_sequence_hidden", false),
            ("premium_purchase_disabled", false),
            ("premium_enabled_override", false),
            ("has_dismissed_premium_onboarding", false),
            ("has_ever_purchased", false),
            ("has_unread_gift_inventory", false),
            ("unread_gift_inventory_count", 0),
            ("used_mobile_client", false),
            ("pending_bulk_message_deletion", .null),
        ]
        return .object(members)
    }
    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: UInt64, username: String, discriminator: Int, globalName: String?, email: String?, verified: Bool, passwordHash: String?, passwordChangedAt: Int64?, avatar: String?, flags: Int64, isBot: Bool, isSystem: Bool, phone: String?, createdAt: Int64, totpEnabled: Bool, smsMFAEnabled: Bool, webauthnCount: Int, failedAttempts: Int, lockedUntil: Int64?, bio: String? = nil, banner: String? = nil, disabledAt: Int64? = nil) {
        self.id = id
        self.username = username
        self.discriminator = discriminator
        self.globalName = globalName
        self.email = email
        self.verified = verified
        self.passwordHash = passwordHash
        self.passwordChangedAt = passwordChangedAt
        self.avatar = avatar
        self.flags = flags
        self.isBot = isBot
        self.isSystem = isSystem
        self.phone = phone
        self.createdAt = createdAt
        self.totpEnabled = totpEnabled
        self.smsMFAEnabled = smsMFAEnabled
        self.webauthnCount = webauthnCount
        self.failedAttempts = failedAttempts
        self.lockedUntil = lockedUntil
        self.bio = bio
        self.banner = banner
        self.disabledAt = disabledAt
    }
}

/// RFC 3339 / ISO 8601 timestamps in UTC with milliseconds, as the real server's `toISOString()`.
public enum ISO8601 {
    /// `2026-02-19T10:00:00.000Z` for unix milliseconds.
    public static func format(milliseconds: Int64) -> String {
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let msOfDay = milliseconds - days * 86_400_000
        // Civil-from-days (H. Hinnant), valid for the proleptic Gregorian calendar.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ n: Int64, _ w: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let h = msOfDay / 3_600_000, m = msOfDay / 60_000 % 60, s = msOfDay / 1000 % 60, ms = msOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }

    /// Days since 1970-01-01 of a valid `YYYY-MM-DD` date, or nil.
    public static func daysFromCivil(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
              (1...12).contains(m), d >= 1
        else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= monthDays[Int(m - 1)] else { return nil }
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
