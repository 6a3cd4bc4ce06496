internal import CFluxerCurl

extension HTTPClientError {
    /// The error for a libcurl result (libcurl-errors(3)). Codes this client cannot meet (FTP, SMTP, …) and
    /// resource failures stay `.libcurl(code:)`.
    init(curlCode code: CURLcode) {
        switch code {
        case CURLE_URL_MALFORMAT:
            self = .invalidURL
        case CURLE_COULDNT_RESOLVE_HOST:
            self = .resolveFailed
        case CURLE_COULDNT_CONNECT:
            self = .connectFailed
        case CURLE_OPERATION_TIMEDOUT:
            self = .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED:
            self = .tlsFailed
        case CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            self = .connectionLost
        case CURLE_FILESIZE_EXCEEDED:
            self = .responseTooLarge
        // UNSUPPORTED_PROTOCOL after our own scheme check means an HTTP/0.9 reply (refused since curl 7.66).
        case CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_CONTENT_ENCODING, CURLE_HTTP2,
             CURLE_HTTP2_STREAM, CURLE_HTTP3:
            self = .protocolError
        default:
            self = .libcurl(code: Int(code.rawValue))
        }
    }
}
