#if canImport(Glibc)
import Glibc
#endif
internal import CFluxerShim

/// TLS over a `ClientSocket` with OpenSSL's libssl: TLS 1.2+, the peer verified against the system CA paths,
/// SNI and host-name (or IP) verification (RFC 6125). Every `WANT_READ`/`WANT_WRITE` becomes a `poll`
/// bounded by the request deadline.
package final class TLSClientStream {
    private let socket: ClientSocket
    private let context: OpaquePointer
    private let ssl: OpaquePointer

    /// Performs the handshake with `host` (a name or an IP literal) before `deadline`.
    package init(socket: ClientSocket, host: String, isIPLiteral: Bool, deadline: Int64) throws(HTTPClientError) {
        self.socket = socket
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .tls("cannot create context") }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw .tls("cannot create session")
        }
        self.context = context
        self.ssl = ssl
        guard fx_ssl_ctx_min_tls12(context) == 1, SSL_CTX_set_default_verify_paths(context) == 1 else {
            throw .tls("cannot configure context")
        }
        fx_ssl_ctx_ignore_unexpected_eof(context)
        SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
        guard SSL_set_fd(ssl, socket.fd) == 1 else { throw .tls("cannot attach socket") }
        if isIPLiteral {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else { throw .tls("bad IP literal") }
        } else {
            guard fx_ssl_set_sni(ssl, host) == 1, SSL_set1_host(ssl, host) == 1 else { throw .tls("bad host name") }
        }
        try perform(deadline: deadline) { SSL_connect(ssl) }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Writes every byte before the deadline.
    package func sendAll(_ bytes: [UInt8], deadline: Int64) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = try perform(deadline: deadline) {
                bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32(min($0.count - offset, 1 << 20))) }
            }
            offset += Int(n)
        }
    }

    /// Reads up to `count` bytes; 0 means the peer closed.
    package func receive(into buffer: inout [UInt8], count: Int, deadline: Int64) throws(HTTPClientError) -> Int {
        var chunk = [UInt8](repeating: 0, count: count)
        let n: Int32
        do {
            n = try perform(deadline: deadline) { SSL_read(ssl, &chunk, Int32(count)) }
        } catch .tls(let reason) where reason == "closed" {
            return 0
        }
        buffer.append(contentsOf: chunk[0..<Int(n)])
        return Int(n)
    }

    /// Runs an SSL call until it succeeds (> 0), polling on `WANT_READ`/`WANT_WRITE`.
    @discardableResult
    private func perform(deadline: Int64, _ call: () -> Int32) throws(HTTPClientError) -> Int32 {
        while true {
            ERR_clear_error()
            let rc = call()
            if rc > 0 { return rc }
            let error = SSL_get_error(ssl, rc)
            switch error {
            case SSL_ERROR_WANT_READ: try socket.wait(for: Int16(POLLIN), deadline: deadline)
            case SSL_ERROR_WANT_WRITE: try socket.wait(for: Int16(POLLOUT), deadline: deadline)
            case SSL_ERROR_ZERO_RETURN: throw .tls("closed")
            case SSL_ERROR_SYSCALL where ERR_peek_error() == 0 && (errno == 0 || rc == 0): throw .tls("closed")
            default: throw .tls(Self.reason(ssl))
            }
        }
    }

    private static func reason(_ ssl: OpaquePointer) -> String {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK { return "certificate verify failed: " + String(cString: X509_verify_cert_error_string(verify)) }
        let code = ERR_get_error()
        guard code != 0 else { return "handshake or record error" }
        var buffer = [CChar](repeating: 0, count: 160)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
