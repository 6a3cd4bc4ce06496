internal import CFluxerCurl

/// Outbound HTTP/1.1 on libcurl, for calls to identity providers (OIDC discovery, JWKS, token endpoints; AT
/// Protocol's PLC directory, PDS, PAR) and webhooks.
///
/// `send` blocks its thread for up to `policy.totalTimeout`: call it from a worker thread, never from Swift
/// concurrency's cooperative pool. It is thread-safe: each call has its own easy handle, and so its own
/// connection (none is reused across calls).
///
/// What every request gets, whatever the caller asks:
/// - TLS verified: peer certificate and host name (CURLOPT_SSL_VERIFYPEER, CURLOPT_SSL_VERIFYHOST = 2), TLS 1.2
///   or later (RFC 8996 deprecates 1.0 and 1.1), against the system CAs or `policy.caFile`.
/// - No redirect followed: a 3xx is returned as a response (RFC 9110 §15.4 leaves following to the user agent;
///   following would carry the request to a host no one checked).
/// - Only http and https (CURLOPT_PROTOCOLS_STR), HTTP/1.1 only (no HTTP/2 or HTTP/3 parser on this path).
/// - The address rule checked on each address actually connected to (see `HTTPClientPolicy`).
/// - Connect and total timeouts; body, head size and field count caps.
/// - No proxy (environment variables ignored: CURLOPT_PROXY ""), no cookies, no .netrc, no `Expect:
///   100-continue`, no `Accept-Encoding` (so no decompression bomb), no credentials from the URL.
public final class HTTPClient: Sendable {
    /// The limits and rules every request of this client follows.
    public let policy: HTTPClientPolicy

    /// A client following `policy`.
    public init(policy: HTTPClientPolicy = HTTPClientPolicy()) {
        self.policy = policy
    }

    /// Sends `request` and waits for the complete response.
    public func send(_ request: HTTPClientRequest) throws(HTTPClientError) -> HTTPClientResponse {
        let url = try Self.parse(request.url)
        let plan = try RequestPlan(request)
        let easy = try CurlEasy()
        // libcurl parses the URL again; it must find the host this side judged (RFC 3986 parsers disagree on
        // edge cases, and a disagreement here would be an SSRF bypass).
        guard let curlHost = try easy.setURL(request.url), Self.sameHost(curlHost, url.host) else { throw .invalidURL }
        let transfer = Transfer(policy: policy, url: url)
        try configure(easy, transfer: transfer)
        try plan.apply(to: easy, maxResponseBytes: policy.maxResponseBytes)
        let code = withExtendedLifetime(transfer) { easy.perform() }
        guard code == CURLE_OK else { throw Self.error(for: code, transfer: transfer) }
        return HTTPClientResponse(status: try easy.responseCode(), headers: transfer.head.fields, body: transfer.body)
    }

    private static func parse(_ text: String) throws(HTTPClientError) -> RequestURL {
        switch RequestURL.parse(text) {
        case .success(let url): return url
        case .failure(.scheme): throw .schemeNotAllowed
        case .failure(.invalid): throw .invalidURL
        }
    }

    /// Whether libcurl's reading of the host (IPv6 in brackets, maybe in another notation) is `host`.
    private static func sameHost(_ curlHost: String, _ host: String) -> Bool {
        var curlHost = curlHost.lowercased()
        if curlHost.hasPrefix("["), curlHost.hasSuffix("]") { curlHost = String(curlHost.dropFirst().dropLast()) }
        if let a = IPAddress(curlHost), let b = IPAddress(host) { return a == b }
        return curlHost == host
    }

    /// The options every request gets (see the type's documentation).
    private func configure(_ easy: CurlEasy, transfer: Transfer) throws(HTTPClientError) {
        try easy.set(CURLOPT_NOSIGNAL, 1)  // libcurl: required when used from several threads
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        try easy.set(CURLOPT_HTTP09_ALLOWED, 0)
        try easy.set(CURLOPT_PROXY, "")  // "" disables proxies, including those from the environment
        try easy.set(CURLOPT_DISALLOW_USERNAME_IN_URL, 1)
        try easy.set(CURLOPT_NETRC, Int(CURL_NETRC_IGNORED.rawValue))
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        try easy.set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        if let caFile = policy.caFile {
            try easy.set(CURLOPT_CAINFO, caFile)
            try easy.set(CURLOPT_CAPATH, nil)
        }
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, policy.connectTimeout.clampedMilliseconds)
        try easy.set(CURLOPT_TIMEOUT_MS, policy.totalTimeout.clampedMilliseconds)
        try easy.set(CURLOPT_OPENSOCKETDATA, pointer: transfer.userData)
        try easy.setOpenSocket(Transfer.openSocket)
        try easy.set(CURLOPT_HEADERDATA, pointer: transfer.userData)
        try easy.set(CURLOPT_HEADERFUNCTION, callback: Transfer.writeHeader)
        try easy.set(CURLOPT_WRITEDATA, pointer: transfer.userData)
        try easy.set(CURLOPT_WRITEFUNCTION, callback: Transfer.writeBody)
    }

    /// The error for a failed perform: what a callback recorded comes first, since it is why libcurl stopped.
    static func error(for code: CURLcode, transfer: Transfer) -> HTTPClientError {
        if let failure = transfer.failure { return failure }
        if transfer.socketsOpened == 0, let refusal = transfer.refusal { return refusal }
        // libcurl buffers a header line before our callback sees it, and refuses one over its own limit (100 KiB in
        // 7.88) with CURLE_OUT_OF_MEMORY; curl 8.6 and later say CURLE_TOO_LARGE (100).
        if !transfer.head.isComplete && (code == CURLE_OUT_OF_MEMORY || code.rawValue == 100) { return .headersTooLarge }
        return HTTPClientError(curlCode: code)
    }
}
