import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// PW-03: the built-in blocklist, repetitive and sequential runs, and context words.
@Suite struct PasswordPolicyTests {
    func refused(_ password: String, username: String? = "alice", email: String? = "alice.smith@example.com") -> Bool {
        PasswordPolicy.check(password, username: username, email: email)?.code == "PASSWORD_IS_TOO_COMMON"
    }

    /// The embedded list equals resources/common-passwords.txt (run `make embed` after editing it), and has at least
    /// the 3,000 entries ASVS 6.2.4 asks for.
    @Test func embeddedListMatchesTheDataFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("resources/common-passwords.txt")
        let entries = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(entries.count == CommonPasswords.count)
        #expect(Set(entries) == PasswordPolicy.blocklist)
        #expect(PasswordPolicy.blocklist.count >= 3_000)
        #expect(entries.allSatisfy { $0.count >= 8 && $0 == $0.lowercased() })
    }

    @Test func commonPasswords_refusedWhateverTheCase_andWithASuffix() {
        for p in ["password", "PASSWORD", "Password", "baseball", "trustno1", "iloveyou", "qwertyuiop", "1qaz2wsx",
                  "sunshine2024!", "Superman!!", "football#1", "starwars123"] {
            #expect(refused(p), "\(p)")
        }
    }

    @Test func repetitiveAndSequential_refused() {
        for p in ["aaaaaaaa", "zzzzzzzzzzzz", "12345678", "23456789", "abcdefghij", "87654321", "hgfedcba",
                  "abcabcab", "12121212", "xyzwxyzw", "!!!!!!!!"] {
            #expect(refused(p), "\(p)")
        }
    }

    @Test func contextWords_refused() {
        for p in ["fluxer2024", "Fluxer!!123", "FluxerAuth1", "alice123!", "Alice_2024", "alice.smith99",
                  "alice.smith@example.com", "ALICE.SMITH@EXAMPLE.COM"] {
            #expect(refused(p), "\(p)")
        }
        // Short usernames are not context words; a passphrase that merely contains a context word is fine.
        #expect(!refused("bo123456zz", username: "bo"))
        #expect(!refused("alice likes quiet lanterns"))
        #expect(!refused("my fluxer passphrase is long"))
    }

    @Test func reasonablePasswords_pass() {
        for p in ["correct horse battery", "k3#Rv9!x", "quiet lantern maple 7", "Tr0ub4dor&3x", "long enough password",
                  "ünïcödé pässwörd", "🙂🙃🙂 emoji pass"] {
            #expect(!refused(p), "\(p)")
        }
    }

    /// Over HTTP: register refuses with the real server's code and creates nothing (reset: PasswordResetTests);
    /// the switch turns the check off.
    @Test func register_refusesCommonPasswords() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let users = try h.count("users")
        for password in ["password123", "12345678", "fluxer2024"] {
            let r = h.post("/auth/register", ["email": "new@example.com", "username": "newbie", "password": password,
                                             "date_of_birth": "2000-01-01", "consent": true])
            #expect(r.status == 400, "\(password): \(r.body)")
            let items = (jsonObject(r)?["errors"] as? [[String: Any]]) ?? []
            #expect(items.count == 1 && items.first?["path"] as? String == "password" && items.first?["code"] as? String == "PASSWORD_IS_TOO_COMMON",
                    "\(password): \(r.body)")
        }
        let newbie = h.post("/auth/register", ["email": "new@example.com", "username": "newbie", "password": "newbie2024!",
                                               "date_of_birth": "2000-01-01", "consent": true])
        #expect(newbie.status == 400, "the username is a context word: \(newbie.body)")
        #expect(try h.count("users") == users)

        let off = try AccountsHarness { $0.passwordBlocklist = false }
        defer { off.stop() }
        let ok = off.post("/auth/register", ["email": "new@example.com", "username": "newbie", "password": "password123",
                                             "date_of_birth": "2000-01-01", "consent": true])
        #expect(ok.status == 200, "\(ok.body)")
    }
}
