import FluxerDomain
#if canImport(Glibc)
import Glibc
#endif

/// Builds a `Config` from four layers, later ones winning: defaults < file < environment < flags.
public enum ConfigLoader {
    /// Loads the configuration. `flags` are dotted keys with raw text values (as typed on the command line).
    public static func load(
        file: String?, environment: [String: String], flags: [String: String] = [:]
    ) throws(ConfigError) -> Config {
        var config = Config()
        var providerValues: [String: ConfigValue] = [:]
        let path = file ?? environment["FLUXER_AUTH_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let path {
            let text = try readFile(path)
            let values: [String: ConfigValue]
            do {
                values = try TOMLSubset.parse(text)
            } catch {
                throw ConfigError(key: "config", reason: "\(path) \(error.description)")
            }
            for name in values.keys.sorted() {
                if name.hasPrefix(SSOProviderKeys.prefix) {
                    providerValues[name] = values[name]!
                    continue
                }
                if let reason = ConfigSchema.removalReason(name) { throw ConfigError(key: name, reason: reason) }
                guard let key = ConfigSchema.key(named: name) else {
                    throw ConfigError(key: name, reason: "unknown key in \(path)")
                }
                try key.apply(&config, values[name]!)
            }
        }
        for removed in ConfigSchema.removedKeys where environment[ConfigSchema.removedKeyEnvironment(removed.name)] != nil {
            throw ConfigError(key: removed.name, reason: "\(ConfigSchema.removedKeyEnvironment(removed.name)) \(removed.reason)")
        }
        for key in ConfigSchema.keys {
            if let raw = environment[key.environment] {
                try key.apply(&config, try textValue(raw, for: key, source: key.environment))
            }
        }
        for name in flags.keys.sorted() {
            if let reason = ConfigSchema.removalReason(name) { throw ConfigError(key: name, reason: reason) }
            guard let key = ConfigSchema.key(named: name) else { throw ConfigError(key: name, reason: "unknown key") }
            try key.apply(&config, try textValue(flags[name]!, for: key, source: "flag"))
        }
        // Named providers last: `dev` and the flat table's switches may come from any layer.
        config.ssoProviders = try SSOProviderKeys.build(providerValues, environment: environment, flat: config.sso, dev: config.dev)
        try ConfigSchema.validateCombinations(config)
        return config
    }

    /// Documentation of every key, for `--help` text and the example file.
    public static var documentation: [(key: String, environment: String, help: String)] {
        ConfigSchema.keys.map { ($0.name, $0.environment, $0.help) }
    }

    /// Text from the environment or a flag, typed by the key's kind.
    package static func textValue(_ raw: String, for key: ConfigKey, source: String) throws(ConfigError) -> ConfigValue {
        switch key.kind {
        case .string:
            return .string(raw)
        case .integer:
            guard !raw.isEmpty, raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), raw.utf8.count <= 18, let n = Int64(raw) else {
                throw ConfigError(key: key.name, reason: "\(source) must be a non-negative integer")
            }
            return .integer(n)
        case .bool:
            switch raw.lowercased() {
            case "1", "true", "yes", "on": return .bool(true)
            case "0", "false", "no", "off", "": return .bool(false)
            default: throw ConfigError(key: key.name, reason: "\(source) must be true or false")
            }
        case .list:
            return .array(raw.split(separator: ",").map { .string($0.trimmingASCIIWhitespace()) })
        }
    }

    private static func readFile(_ path: String) throws(ConfigError) -> String {
        guard let file = fopen(path, "rb") else {
            throw ConfigError(key: "config", reason: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
            if bytes.count > 1 << 20 { throw ConfigError(key: "config", reason: "\(path) is larger than 1 MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(key: "config", reason: "\(path) is not valid UTF-8")
        }
        return text
    }
}
