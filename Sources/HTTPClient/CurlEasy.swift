internal import CFluxerCurl

/// One libcurl easy handle with the URL handle and header list it points to; all freed together in `deinit`.
/// Every option is checked: a libcurl that refuses one (too old, out of memory) fails the request rather than
/// sending it with a weaker setting.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private var url: OpaquePointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?

    /// `curl_global_init`, run once before the first handle (libcurl: "call it once"; Swift runs a static
    /// initializer exactly once, whichever thread gets there first).
    private static let globalInitCode: Int = Int(curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue)

    init() throws(HTTPClientError) {
        guard Self.globalInitCode == 0 else { throw .libcurl(code: Self.globalInitCode) }
        guard let handle = curl_easy_init() else { throw .libcurl(code: Int(CURLE_FAILED_INIT.rawValue)) }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
        if let url { curl_url_cleanup(url) }
        if let headerList { curl_slist_free_all(headerList) }
    }

    /// A `long` option.
    func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(fluxer_curl_setopt_long(handle, option, value))
    }

    /// A `curl_off_t` option (sizes).
    func set(_ option: CURLoption, size: Int) throws(HTTPClientError) {
        try check(fluxer_curl_setopt_off(handle, option, curl_off_t(size)))
    }

    /// A string option; nil resets it to libcurl's default (for CURLOPT_CAPATH: none).
    func set(_ option: CURLoption, _ value: String?) throws(HTTPClientError) {
        if let value {
            try check(fluxer_curl_setopt_string(handle, option, value))
        } else {
            try check(fluxer_curl_setopt_string(handle, option, nil))
        }
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(HTTPClientError) {
        try check(fluxer_curl_setopt_pointer(handle, option, pointer))
    }

    func set(_ option: CURLoption, callback: curl_write_callback) throws(HTTPClientError) {
        try check(fluxer_curl_setopt_write_callback(handle, option, callback))
    }

    func setOpenSocket(_ callback: curl_opensocket_callback) throws(HTTPClientError) {
        try check(fluxer_curl_setopt_opensocket_callback(handle, callback))
    }

    /// Parses `text` with libcurl's own URL parser and makes it the handle's URL (CURLOPT_CURLU). Returns the host
    /// libcurl read, so the caller can check it is the one it judged; nil when libcurl refuses the URL.
    func setURL(_ text: String) throws(HTTPClientError) -> String? {
        guard let url = curl_url() else { throw .libcurl(code: Int(CURLE_OUT_OF_MEMORY.rawValue)) }
        self.url = url
        guard curl_url_set(url, CURLUPART_URL, text, 0) == CURLUE_OK else { return nil }
        var host: UnsafeMutablePointer<CChar>?
        guard curl_url_get(url, CURLUPART_HOST, &host, 0) == CURLUE_OK, let host else { return nil }
        defer { curl_free(host) }
        try set(CURLOPT_CURLU, pointer: UnsafeMutableRawPointer(url))
        return String(cString: host)
    }

    /// Sends `lines` ("Name: value") as the request's header list (CURLOPT_HTTPHEADER).
    func setHeaders(_ lines: [String]) throws(HTTPClientError) {
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw .libcurl(code: Int(CURLE_OUT_OF_MEMORY.rawValue))
            }
            headerList = appended
        }
        try set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(headerList))
    }

    /// The status code of the last response (CURLINFO_RESPONSE_CODE).
    func responseCode() throws(HTTPClientError) -> Int {
        var code = 0
        try check(fluxer_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code))
        return code
    }

    /// Runs the transfer on the calling thread; returns libcurl's result.
    func perform() -> CURLcode {
        curl_easy_perform(handle)
    }

    private func check(_ code: CURLcode) throws(HTTPClientError) {
        guard code == CURLE_OK else { throw .libcurl(code: Int(code.rawValue)) }
    }
}
