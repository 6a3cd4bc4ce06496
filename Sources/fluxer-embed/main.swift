// The build tool behind the FluxerEmbed plugin: turns data files into Swift sources at build time, so the
// binary carries its schema and its password blocklist while git holds only the data files.
//
//   fluxer-embed migrations <migrations dir> <out.swift>   migrations/NNNN_name.sql → EmbeddedMigrations.all
//   fluxer-embed postgres-migrations <dir> <out.swift>     migrations/postgres/NNNN_name.sql → EmbeddedPostgresMigrations.all
//   fluxer-embed passwords <common-passwords.txt> <out.swift>   the PW-03 blocklist → CommonPasswords.text
//   fluxer-embed openapi <fluxer-auth.json> <out.swift>    the OpenAPI document, whitespace removed → EmbeddedOpenAPI.json
//
// A bad input stops the build with one line naming the file; the output is rewritten only when it changes.
import Foundation

/// Stops the build with `message` on stderr.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("fluxer-embed: " + message + "\n").utf8))
    exit(1)
}

func read(_ path: String) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    guard let text = String(data: data, encoding: .utf8) else { fail("\(path) is not UTF-8") }
    return text
}

func write(_ text: String, to path: String) {
    if FileManager.default.contents(atPath: path) == Data(text.utf8) { return }
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { fail("cannot write \(path)") }
}

/// `NNNN_name.sql`: the version and the name, or nil.
func migrationName(_ file: String) -> (Int, String)? {
    guard file.hasSuffix(".sql") else { return nil }
    let stem = file.dropLast(4)
    guard let underscore = stem.firstIndex(of: "_") else { return nil }
    let digits = stem[..<underscore], name = stem[stem.index(after: underscore)...]
    guard digits.count >= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let version = Int(digits), !name.isEmpty,
          name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else { return nil }
    return (version, String(name))
}

/// Which migrator a set of migrations is for: its source files, the import, the enum and the element type.
struct MigrationFlavour {
    let sources: String
    let importLine: String
    let enumName: String
    let type: String

    static let sqlite = MigrationFlavour(
        sources: "migrations/*.sql", importLine: "import SQLite", enumName: "EmbeddedMigrations", type: "Migration")
    static let postgres = MigrationFlavour(
        sources: "migrations/postgres/*.sql", importLine: "import Postgres",
        enumName: "EmbeddedPostgresMigrations", type: "PostgresMigration")
}

func embedMigrations(_ flavour: MigrationFlavour, from directory: String, to output: String) {
    guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else { fail("cannot list \(directory)") }
    var lines = [
        "// Generated at build time by fluxer-embed (the FluxerEmbed plugin) from \(flavour.sources).",
        flavour.importLine,
        "",
        "package enum \(flavour.enumName) {",
        "    package static let all: [\(flavour.type)] = [",
    ]
    for file in files.filter({ $0.hasSuffix(".sql") }).sorted() {
        guard let (version, name) = migrationName(file) else { fail("bad migration file name: \(file)") }
        let sql = read(directory + "/" + file)
        if sql.contains("\"\"\"#") { fail("\(file) contains the raw-string delimiter") }
        lines.append("        \(flavour.type)(version: \(version), name: \"\(name)\", sql: #\"\"\"")
        // The literal equals the file byte for byte, so embedded and on-disk checksums agree.
        lines.append(contentsOf: sql.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        lines.append("\"\"\"#),")
    }
    lines += ["    ]", "}", ""]
    write(lines.joined(separator: "\n"), to: output)
}

func embedPasswords(from source: String, to output: String) {
    let entries = read(source).split(separator: "\n", omittingEmptySubsequences: true).map(String.init).filter { !$0.hasPrefix("#") }
    for entry in entries {
        if entry.contains("\"\"\"#") || entry.contains("\\#") { fail("entry would end or interpolate the raw string literal: \(entry)") }
        if !entry.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E }) {
            fail("entries must be printable ASCII without spaces: \(entry.debugDescription)")
        }
    }
    let lines = [
        "// Generated at build time by fluxer-embed (the FluxerEmbed plugin) from resources/common-passwords.txt.",
        "",
        "/// The password blocklist, one entry per line (see resources/common-passwords.txt for its source and licence).",
        "package enum CommonPasswords {",
        "    package static let count = \(entries.count)",
        "    package static let text = #\"\"\"",
    ] + entries + ["\"\"\"#", "}", ""]
    write(lines.joined(separator: "\n"), to: output)
}

/// The document without the whitespace between tokens (RFC 8259 §2 `ws`): the same JSON, about a third smaller.
func minifiedJSON(_ text: String, source: String) -> String {
    guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil else { fail("\(source) is not JSON") }
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    var inString = false, escaped = false
    for byte in text.utf8 {
        if inString {
            out.append(byte)
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
        } else if byte == UInt8(ascii: "\"") {
            inString = true
            out.append(byte)
        } else if ![0x20, 0x09, 0x0A, 0x0D].contains(byte) {
            out.append(byte)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

func embedOpenAPI(from source: String, to output: String) {
    let json = minifiedJSON(read(source), source: source)
    // One line in a raw string: `"##` would end it and `\##(` interpolate, so neither may occur.
    if json.contains("\"##") || json.contains("\\##") || json.contains("\n") { fail("\(source) would end the raw string literal") }
    let lines = [
        "// Generated at build time by fluxer-embed (the FluxerEmbed plugin) from openapi/fluxer-auth.json.",
        "",
        "/// The OpenAPI document (openapi/fluxer-auth.json, written by openapi/build.py), without insignificant whitespace.",
        "package enum EmbeddedOpenAPI {",
        "    package static let json = ##\"" + json + "\"##",
        "}",
        "",
    ]
    write(lines.joined(separator: "\n"), to: output)
}

let arguments = CommandLine.arguments
guard arguments.count == 4 else { fail("usage: fluxer-embed migrations|postgres-migrations|passwords|openapi <input> <output.swift>") }
switch arguments[1] {
case "migrations": embedMigrations(.sqlite, from: arguments[2], to: arguments[3])
case "postgres-migrations": embedMigrations(.postgres, from: arguments[2], to: arguments[3])
case "passwords": embedPasswords(from: arguments[2], to: arguments[3])
case "openapi": embedOpenAPI(from: arguments[2], to: arguments[3])
default: fail("unknown kind \(arguments[1])")
}
