import FluxerAPI
import FluxerPersistence
#if canImport(Glibc)
import Glibc
#endif
import FluxerCrypto
import FluxerDomain

/// Dev mode's generated server secret: 32 random bytes kept base64url-encoded in a 0600 file beside the
/// database, so tokens survive restarts. Production takes the secret from configuration only.
enum SecretKeyFile {
    static func loadOrCreate(path: String) throws(StartupError) -> [UInt8] {
        if let text = read(path) {
            let trimmed = text.trimmingASCIIWhitespace().replacingOccurrences(of: "\n", with: "")
            guard let key = Base64URL.decode(trimmed), key.count >= 32 else {
                throw .secretKey("\(path) does not hold base64url of at least 32 bytes; delete it to generate a new one")
            }
            return key
        }
        let key = SecureRandom.bytes(32)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .secretKey("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let text = Array((Base64URL.encode(key) + "\n").utf8)
        guard Glibc.write(fd, text, text.count) == text.count, fsync(fd) == 0 else {
            throw .secretKey("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return key
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var buf = [UInt8](repeating: 0, count: 512)
        let n = fread(&buf, 1, buf.count, file)
        return String(decoding: buf[0..<n], as: UTF8.self)
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target` (compared as UTF-8 bytes).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        let hay = Array(utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, hay.count >= needle.count else { return self }
        var out: [UInt8] = []
        var i = 0
        while i < hay.count {
            if i + needle.count <= hay.count && hay[i..<(i + needle.count)].elementsEqual(needle) {
                out += replacement.utf8
                i += needle.count
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Config {
    /// The server secret a CLI command works with: the configured key or, in dev mode, the one `serve --dev` keeps
    /// (created if missing); nil when neither is available.
    func commandSecretKey() -> [UInt8]? {
        if let secretKey { return secretKey }
        guard dev else { return nil }
        if databaseURL != nil {
            guard let store = try? openDatabase(purpose: "fluxer-auth cli") else { return nil }
            defer { store.close() }
            return try? devSecretKey(store: store)
        }
        return try? SecretKeyFile.loadOrCreate(path: App.directory(of: databasePath) + "/secret.key")
    }

    /// Dev mode's generated secret: a 0600 file beside the SQLite database, or, on PostgreSQL, a row of the
    /// `instance` table, so that every dev node on one database and every CLI run beside them share one key.
    /// (Outside dev mode the key comes from `security.secret_key`, identical on every node by configuration.)
    func devSecretKey(store: DataStore) throws(StartupError) -> [UInt8] {
        guard store.dialect == .postgres else {
            return try SecretKeyFile.loadOrCreate(path: App.directory(of: databasePath) + "/secret.key")
        }
        do {
            let encoded = try store.write { db -> String? in
                try InstanceStore.devSecretKey(storingIfAbsent: Base64URL.encode(SecureRandom.bytes(32)), in: db)
            }
            guard let encoded, let key = Base64URL.decode(encoded), key.count >= 32 else {
                throw StartupError.secretKey("the dev secret in table instance is damaged; delete its row to make a new one")
            }
            return key
        } catch let error as StartupError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }
}
