/// How the body of a request is delimited (RFC 9112 §6.3).
enum BodyFraming: Sendable {
    case none, length(Int), chunked
}

/// Parses one complete head (request-line and field lines) that the scanner has already delimited and
/// checked for bare CR/LF and size limits. Every rule is RFC 9112 / RFC 9110; where the RFC allows a choice,
/// the stricter one is taken and noted.
struct HeadParser {
    let p: UnsafeBufferPointer<UInt8>
    let limits: HTTPLimits

    struct Head {
        var request: HTTPRequest
        var framing: BodyFraming
        var expectContinue: Bool
    }


    /// `fieldCount`, the number of field lines the scanner counted, sizes the header list once.
    func parse(lineStart: Int, requestLineEnd: Int, headEnd: Int, fieldCount: Int = 0) -> Result<Head, HTTPParseError> {
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
        let line = lineStart..<requestLineEnd
        guard let sp1 = line.first(where: { p[$0] == ByteClasses.SP }),
              let sp2 = line.last(where: { p[$0] == ByteClasses.SP }), sp1 != sp2
        else { return .failure(.bad("malformed request-line")) }

        let version: HTTPVersion
        switch parseVersion((sp2 + 1)..<requestLineEnd) {
        case .failure(let e): return .failure(e)
        case .success(let v): version = v
        }

        let methodBytes = UnsafeBufferPointer(rebasing: p[lineStart..<sp1])
        guard !methodBytes.isEmpty, methodBytes.allSatisfy({ ByteClasses.tchar[Int($0)] }) else {
            return .failure(.bad("invalid method"))
        }
        guard let method = HTTPMethod(bytes: methodBytes) else {
            return .failure(HTTPParseError(.notImplemented, "method not implemented"))
        }

        let targetRange = (sp1 + 1)..<sp2
        guard !targetRange.isEmpty else { return .failure(.bad("empty request-target")) }
        for i in targetRange where !ByteClasses.targetChar[Int(p[i])] {
            return .failure(.bad("invalid character in request-target"))
        }
        guard hasValidPercentEncoding(targetRange) else { return .failure(.bad("invalid percent-encoding")) }

        var path: String
        var query: String?
        var uriHost: String?
        let first = p[targetRange.lowerBound]
        if first == UInt8(ascii: "/") {
            (path, query) = splitPathQuery(targetRange)
        } else if targetRange.count == 1 && first == UInt8(ascii: "*") {
            // RFC 9112 §3.2.4: asterisk-form is only for OPTIONS.
            guard method == .OPTIONS else { return .failure(.bad("asterisk-form without OPTIONS")) }
            path = "*"
        } else if let afterScheme = absoluteFormAuthorityStart(targetRange) {
            // RFC 9112 §3.2.2: absolute-form; the Host field is replaced by the target's authority.
            var authorityEnd = afterScheme
            while authorityEnd < targetRange.upperBound,
                  p[authorityEnd] != UInt8(ascii: "/"), p[authorityEnd] != UInt8(ascii: "?") {
                authorityEnd += 1
            }
            let authority = afterScheme..<authorityEnd
            guard isValidHost(authority) else { return .failure(.bad("invalid authority in request-target")) }
            uriHost = string(authority)
            if authorityEnd == targetRange.upperBound {
                path = "/"
            } else if p[authorityEnd] == UInt8(ascii: "?") {
                path = "/"
                query = string((authorityEnd + 1)..<targetRange.upperBound)
            } else {
                (path, query) = splitPathQuery(authorityEnd..<targetRange.upperBound)
            }
        } else {
            return .failure(.bad("unsupported request-target form"))
        }

        // Field lines.
        // Where each field's name and value lie in the field section; the strings are made only when asked for
        // (`HTTPHeaders`).
        var spans: [(UInt32, UInt32, UInt32, UInt32)] = []
        spans.reserveCapacity(fieldCount)
        let sectionStart = requestLineEnd + 2
        var contentLength: Range<Int>?
        var contentLengthCount = 0
        var transferEncoding: Range<Int>?
        var transferEncodingCount = 0
        var host: Range<Int>?
        var hostCount = 0
        var expect: Range<Int>?
        var expectCount = 0
        var connectionClose = false
        var connectionKeepAlive = false

        var ls = requestLineEnd + 2
        let fieldsEnd = headEnd - 2
        while ls < fieldsEnd {
            var le = ls
            while p[le] != ByteClasses.CR { le += 1 }
            let lineRange = ls..<le
            ls = le + 2
            guard let (name, value) = splitField(lineRange) else {
                return .failure(.bad(p[lineRange.lowerBound] == ByteClasses.SP || p[lineRange.lowerBound] == ByteClasses.HTAB
                    ? "obs-fold or whitespace line in header section" : "invalid header field"))
            }
            spans.append((UInt32(name.lowerBound - sectionStart), UInt32(name.upperBound - sectionStart),
                          UInt32(value.lowerBound - sectionStart), UInt32(value.upperBound - sectionStart)))
            if equalsIgnoringCase(name, "content-length") {
                contentLengthCount += 1; contentLength = value
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                transferEncodingCount += 1; transferEncoding = value
            } else if equalsIgnoringCase(name, "host") {
                hostCount += 1; host = value
            } else if equalsIgnoringCase(name, "connection") {
                forEachListElement(value) { element in
                    if equalsIgnoringCase(element, "close") { connectionClose = true }
                    if equalsIgnoringCase(element, "keep-alive") { connectionKeepAlive = true }
                }
            } else if equalsIgnoringCase(name, "expect") {
                expectCount += 1; expect = value
            }
        }

        // RFC 9112 §3.2: a 1.1 request without exactly one Host, or with an invalid one, gets 400.
        if version == .http11 && hostCount != 1 { return .failure(.bad("missing or duplicate Host")) }
        if hostCount > 1 { return .failure(.bad("duplicate Host")) }
        if let host, !isValidHost(host) { return .failure(.bad("invalid Host")) }

        var framing = BodyFraming.none
        if transferEncodingCount > 0 {
            // RFC 9112 §6.1 / §6.3: TE in 1.0 is faulty framing; TE with CL is a smuggling vector (answered
            // as an error, by choice); several TE fields are refused.
            if version == .http10 { return .failure(.bad("Transfer-Encoding in HTTP/1.0")) }
            if contentLengthCount > 0 { return .failure(.bad("both Content-Length and Transfer-Encoding")) }
            if transferEncodingCount > 1 { return .failure(.bad("multiple Transfer-Encoding fields")) }
            var codings: [Range<Int>] = []
            var emptyElement = false
            forEachListElement(transferEncoding!, keepEmpty: true) { element in
                if element.isEmpty { emptyElement = true } else { codings.append(element) }
            }
            if emptyElement || codings.isEmpty { return .failure(.bad("malformed Transfer-Encoding")) }
            guard equalsIgnoringCase(codings.last!, "chunked") else {
                return .failure(.bad("final transfer coding is not chunked"))
            }
            if codings.count > 1 {
                if codings.dropLast().contains(where: { equalsIgnoringCase($0, "chunked") }) {
                    return .failure(.bad("chunked applied more than once"))
                }
                return .failure(HTTPParseError(.notImplemented, "unsupported transfer coding"))
            }
            framing = .chunked
        } else if contentLengthCount > 0 {
            // RFC 9110 §8.6: Content-Length = 1*DIGIT. Duplicates (even equal) and leading zeros refused by choice.
            if contentLengthCount > 1 { return .failure(.bad("multiple Content-Length fields")) }
            guard let length = parseContentLength(contentLength!) else {
                return .failure(.bad("invalid Content-Length"))
            }
            if length > limits.maxBodyBytes { return .failure(HTTPParseError(.contentTooLarge, "body too large")) }
            framing = length > 0 ? .length(length) : .none
        }

        var expectContinue = false
        if expectCount > 1 { return .failure(HTTPParseError(.expectationFailed, "multiple Expect fields")) }
        if let expect {
            // RFC 9110 §10.1.1: the only expectation defined is 100-continue; others → 417.
            guard equalsIgnoringCase(expect, "100-continue") else {
                return .failure(HTTPParseError(.expectationFailed, "unsupported expectation"))
            }
            expectContinue = version == .http11
        }

        let keepAlive = version == .http11 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        let section = UnsafeBufferPointer(rebasing: p[sectionStart..<max(sectionStart, fieldsEnd)])
        let headers = spans.withUnsafeBufferPointer { HTTPHeaders(raw: RawHeaderFields.make(section: section, spans: $0)) }
        var request = HTTPRequest(
            method: method, path: path, query: query, version: version, headers: headers,
            host: uriHost ?? host.map(string), keepAlive: keepAlive
        )
        request.body = []
        return .success(Head(request: request, framing: framing, expectContinue: expectContinue))
    }

    /// `field-line = field-name ":" OWS field-value OWS` (RFC 9112 §5). No whitespace before the colon (§5.1 MUST),
    /// no leading whitespace (obs-fold, §5.2), no CTL, NUL or non-ASCII anywhere.
    func splitField(_ line: Range<Int>) -> (name: Range<Int>, value: Range<Int>)? {
        var i = line.lowerBound
        while i < line.upperBound && ByteClasses.tchar[Int(p[i])] { i += 1 }
        guard i > line.lowerBound, i < line.upperBound, p[i] == UInt8(ascii: ":") else { return nil }
        let name = line.lowerBound..<i
        var vs = i + 1
        var ve = line.upperBound
        while vs < ve && (p[vs] == ByteClasses.SP || p[vs] == ByteClasses.HTAB) { vs += 1 }
        while ve > vs && (p[ve - 1] == ByteClasses.SP || p[ve - 1] == ByteClasses.HTAB) { ve -= 1 }
        for j in vs..<ve where !ByteClasses.fieldValueChar[Int(p[j])] { return nil }
        return (name, vs..<ve)
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive. 1.0 and 1.1 are served;
    /// any other well-formed version is 505 (RFC 9110 §15.6.6).
    private func parseVersion(_ r: Range<Int>) -> Result<HTTPVersion, HTTPParseError> {
        guard r.count == 8,
              UnsafeBufferPointer(rebasing: p[r.lowerBound..<(r.lowerBound + 5)]).elementsEqual("HTTP/".utf8),
              ByteClasses.isDigit(p[r.lowerBound + 5]), p[r.lowerBound + 6] == UInt8(ascii: "."),
              ByteClasses.isDigit(p[r.lowerBound + 7])
        else { return .failure(.bad("malformed HTTP-version")) }
        let major = p[r.lowerBound + 5] - 0x30
        let minor = p[r.lowerBound + 7] - 0x30
        switch (major, minor) {
        case (1, 1): return .success(.http11)
        case (1, 0): return .success(.http10)
        default: return .failure(HTTPParseError(.versionNotSupported, "HTTP version not supported"))
        }
    }

    private func parseContentLength(_ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count <= 15 else { return nil }
        if r.count > 1 && p[r.lowerBound] == UInt8(ascii: "0") { return nil }
        var value = 0
        for i in r {
            guard ByteClasses.isDigit(p[i]) else { return nil }
            value = value * 10 + Int(p[i] - 0x30)
        }
        return value
    }

    /// Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP-literal in brackets, or a non-empty
    /// reg-name / IPv4 without ":" "[" "]", then an optional ":" and a port of digits only. No userinfo, path or list.
    private func isValidHost(_ r: Range<Int>) -> Bool {
        guard !r.isEmpty else { return false }
        for i in r where !ByteClasses.hostChar[Int(p[i])] { return false }
        var i = r.lowerBound
        if p[i] == UInt8(ascii: "[") {
            i += 1
            while i < r.upperBound, p[i] != UInt8(ascii: "]") {
                guard p[i] != UInt8(ascii: "[") else { return false }
                i += 1
            }
            guard i < r.upperBound, i > r.lowerBound + 1 else { return false }  // "]" present, literal not empty
            i += 1
        } else {
            while i < r.upperBound, p[i] != UInt8(ascii: ":") {
                guard p[i] != UInt8(ascii: "["), p[i] != UInt8(ascii: "]") else { return false }
                i += 1
            }
            guard i > r.lowerBound, hasValidPercentEncoding(r.lowerBound..<i) else { return false }
        }
        guard i < r.upperBound else { return true }
        guard p[i] == UInt8(ascii: ":") else { return false }
        for j in (i + 1)..<r.upperBound where !ByteClasses.isDigit(p[j]) { return false }
        return true
    }

    private func hasValidPercentEncoding(_ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound {
            if p[i] == UInt8(ascii: "%") {
                guard i + 2 < r.upperBound,
                      ByteClasses.hexValue(p[i + 1]) != nil, ByteClasses.hexValue(p[i + 2]) != nil
                else { return false }
                i += 3
            } else {
                i += 1
            }
        }
        return true
    }

    private func absoluteFormAuthorityStart(_ r: Range<Int>) -> Int? {
        for scheme in ["http://", "https://"] where r.count > scheme.utf8.count {
            if equalsIgnoringCase(r.lowerBound..<(r.lowerBound + scheme.utf8.count), scheme) {
                return r.lowerBound + scheme.utf8.count
            }
        }
        return nil
    }

    private func splitPathQuery(_ r: Range<Int>) -> (String, String?) {
        if let q = r.first(where: { p[$0] == UInt8(ascii: "?") }) {
            return (string(r.lowerBound..<q), string((q + 1)..<r.upperBound))
        }
        return (string(r), nil)
    }

    /// Calls `body` with each element of a comma-separated list, OWS trimmed (RFC 9110 §5.6.1).
    private func forEachListElement(_ r: Range<Int>, keepEmpty: Bool = false, _ body: (Range<Int>) -> Void) {
        var s = r.lowerBound
        while s <= r.upperBound {
            var e = s
            while e < r.upperBound && p[e] != UInt8(ascii: ",") { e += 1 }
            var a = s
            var b = e
            while a < b && (p[a] == ByteClasses.SP || p[a] == ByteClasses.HTAB) { a += 1 }
            while b > a && (p[b - 1] == ByteClasses.SP || p[b - 1] == ByteClasses.HTAB) { b -= 1 }
            if a < b || keepEmpty { body(a..<b) }
            s = e + 1
        }
    }

    private func equalsIgnoringCase(_ r: Range<Int>, _ literal: StaticString) -> Bool {
        guard r.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        for (k, i) in r.enumerated() where HTTPHeaders.asciiLower(p[i]) != lit[k] { return false }
        return true
    }

    private func equalsIgnoringCase(_ r: Range<Int>, _ literal: String) -> Bool {
        guard r.count == literal.utf8.count else { return false }
        for (i, c) in zip(r, literal.utf8) where HTTPHeaders.asciiLower(p[i]) != c { return false }
        return true
    }

    private func string(_ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self)
    }
}
