import Foundation
import PackagePlugin

/// Generates `EmbeddedMigrations.swift` (from `migrations/*.sql`), `EmbeddedPostgresMigrations.swift` (from
/// `migrations/postgres/*.sql`) and `CommonPasswords.swift` (from `resources/common-passwords.txt`) into the build
/// directory of the target that uses it, so generated code never sits in git and can never drift from its data.
/// FluxerDomain gets the blocklist (the password policy is a domain rule); FluxerPersistence gets the migrations;
/// FluxerAPI gets `EmbeddedOpenAPI.swift` (from `openapi/fluxer-auth.json`, the document it serves).
/// Every `.sql` file is an input: adding, editing or removing a migration regenerates the source on the next build.
@main
struct FluxerEmbed: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let tool = try context.tool(named: "fluxer-embed")
        let root = context.package.directoryURL
        let migrations = root.appending(path: "migrations")
        let sqlFiles = try Self.sqlFiles(in: migrations)
        let postgresMigrations = migrations.appending(path: "postgres")
        let postgresSQLFiles = try Self.sqlFiles(in: postgresMigrations)
        let passwords = root.appending(path: "resources/common-passwords.txt")
        let out = context.pluginWorkDirectoryURL
        let migrationsSwift = out.appending(path: "EmbeddedMigrations.swift")
        let postgresMigrationsSwift = out.appending(path: "EmbeddedPostgresMigrations.swift")
        let passwordsSwift = out.appending(path: "CommonPasswords.swift")
        let blocklist: [Command] = [
            .buildCommand(displayName: "Embedding the password blocklist", executable: tool.url,
                          arguments: ["passwords", passwords.path(percentEncoded: false), passwordsSwift.path(percentEncoded: false)],
                          inputFiles: [passwords], outputFiles: [passwordsSwift]),
        ]
        if target.name == "FluxerDomain" { return blocklist }
        if target.name == "FluxerAPI" {
            let document = root.appending(path: "openapi/fluxer-auth.json")
            let documentSwift = out.appending(path: "EmbeddedOpenAPI.swift")
            return [
                .buildCommand(displayName: "Embedding the OpenAPI document", executable: tool.url,
                              arguments: ["openapi", document.path(percentEncoded: false), documentSwift.path(percentEncoded: false)],
                              inputFiles: [document], outputFiles: [documentSwift]),
            ]
        }
        return [
            .buildCommand(displayName: "Embedding \(sqlFiles.count) migrations", executable: tool.url,
                          arguments: ["migrations", migrations.path(percentEncoded: false), migrationsSwift.path(percentEncoded: false)],
                          inputFiles: sqlFiles + [migrations], outputFiles: [migrationsSwift]),
            .buildCommand(displayName: "Embedding \(postgresSQLFiles.count) PostgreSQL migrations", executable: tool.url,
                          arguments: ["postgres-migrations", postgresMigrations.path(percentEncoded: false),
                                      postgresMigrationsSwift.path(percentEncoded: false)],
                          inputFiles: postgresSQLFiles + [postgresMigrations], outputFiles: [postgresMigrationsSwift]),
        ]
    }

    /// The `.sql` files directly in `directory`, sorted by name.
    private static func sqlFiles(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
