internal import CFluxerCurl

/// A request checked and turned into libcurl options: method, header list, body.
struct RequestPlan {
    /// Fields the transport writes itself (RFC 9112 §6–§9, RFC 9110 §7.2, §7.6.1, §10.1.1): a caller's copy would
    /// contradict the framing libcurl produces.
    static let reservedHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "expect", "te", "upgrade", "keep-alive", "trailer",
    ]

    let method: String
    let headerLines: [String]
    let body: [UInt8]
    let sendsBody: Bool

    init(_ request: HTTPClientRequest) throws(HTTPClientError) {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(HTTPSyntax.isTokenCharacter) else {
            throw .invalidMethod
        }
        if request.method == "GET" || request.method == "HEAD" {
            guard request.body.isEmpty else { throw .bodyNotAllowed }
        }
        var lines: [String] = []
        var hasContentType = false
        for (name, value) in request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(HTTPSyntax.isTokenCharacter),
                  value.utf8.allSatisfy(HTTPSyntax.isFieldValueByte),
                  !Self.reservedHeaders.contains(name.lowercased()) else { throw .invalidHeader }
            hasContentType = hasContentType || name.lowercased() == "content-type"
            // libcurl reads "Name:" as "remove Name"; "Name;" sends it with an empty value (CURLOPT_HTTPHEADER).
            let trimmed = value.trimmingOWS
            lines.append(trimmed.isEmpty ? "\(name);" : "\(name): \(trimmed)")
        }
        method = request.method
        body = request.body
        sendsBody = !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method)
        // libcurl would add "Expect: 100-continue" to larger bodies (an extra round trip, and a server that never
        // answers it stalls us), and "Content-Type: application/x-www-form-urlencoded" to any body.
        lines.append("Expect:")
        if sendsBody && !hasContentType { lines.append("Content-Type:") }
        headerLines = lines
    }

    /// Sets method, headers and body on `easy`.
    func apply(to easy: CurlEasy, maxResponseBytes: Int) throws(HTTPClientError) {
        switch method {
        case "GET":
            try easy.set(CURLOPT_HTTPGET, 1)
        case "HEAD":
            try easy.set(CURLOPT_NOBODY, 1)
        default:
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
        }
        if sendsBody {
            // COPYPOSTFIELDS takes a copy of POSTFIELDSIZE bytes, so the body may contain NUL and need not outlive
            // this call; it also makes the request a POST unless CUSTOMREQUEST names another method.
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, size: body.count)
            if body.isEmpty {
                try easy.set(CURLOPT_COPYPOSTFIELDS, "")
            } else {
                let result = body.withUnsafeBytes { bytes in
                    Result { () throws(HTTPClientError) in
                        try easy.set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    }
                }
                try result.get()
            }
        }
        // libcurl refuses a body it already knows is too large before reading it (CURLOPT_MAXFILESIZE_LARGE,
        // from Content-Length); the write callback enforces the same cap on bodies of unknown length.
        if method != "HEAD" && maxResponseBytes > 0 {
            try easy.set(CURLOPT_MAXFILESIZE_LARGE, size: maxResponseBytes)
        }
        try easy.setHeaders(headerLines)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (RFC 9110 §5.5 OWS).
    var trimmingOWS: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
