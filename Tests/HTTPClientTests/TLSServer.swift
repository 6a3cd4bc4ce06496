import Foundation

/// A TLS peer: a self-signed certificate made with the openssl CLI in a temporary directory, served by a small
/// python3 `ssl` server on an ephemeral loopback port that answers every request with `200 tls-ok`.
final class TLSServer {
    let directory: URL
    let certificateFile: String
    let port: Int
    private let process: Process
    /// The server's stdin: it exits when this closes.
    private let lifeline = Pipe()

    /// The certificate names only `DNS:localhost`, so `https://127.0.0.1` fails host verification.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fluxer-httpclient-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificateFile = directory.appendingPathComponent("cert.pem").path
        let keyFile = directory.appendingPathComponent("key.pem").path
        try Self.run("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", keyFile, "-out", certificateFile, "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost", "-addext", "basicConstraints=critical,CA:TRUE",
        ])
        let script = """
        import os, socket, ssl, sys, threading
        # Exit when the test process goes away (its end of stdin closes), even if it was killed.
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        print(listener.getsockname()[1], flush=True)
        while True:
            raw, _ = listener.accept()
            try:
                raw.settimeout(5)
                conn = context.wrap_socket(raw, server_side=True)
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 6\\r\\nConnection: close\\r\\n\\r\\ntls-ok")
                conn.close()
            except Exception:
                raw.close()
        """
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, certificateFile, keyFile]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TLSServerError.noPort
        }
        self.port = port
    }

    /// Stops the server and removes the certificate.
    func stop() {
        // SIGKILL: the test process may block SIGTERM (the server tests do), and spawned children inherit the mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? lifeline.fileHandleForWriting.close()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSServerError.openssl(process.terminationStatus) }
    }
}

enum TLSServerError: Error {
    case noPort
    case openssl(Int32)
}

/// Runs `body` with a fresh TLS server.
func withTLSServer(_ body: (TLSServer) throws -> Void) throws {
    let server = try TLSServer()
    defer { server.stop() }
    try body(server)
}
