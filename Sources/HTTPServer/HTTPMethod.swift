/// The request methods this server implements (RFC 9110 §9). Others are answered with 501.
public enum HTTPMethod: String, Sendable, CaseIterable, Hashable {
    case GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS

    /// Matches the method token byte for byte (methods are case-sensitive, RFC 9110 §9.1).
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        switch bytes.count {
        case 3:
            if bytes.elementsEqual("GET".utf8) { self = .GET } else if bytes.elementsEqual("PUT".utf8) { self = .PUT } else { return nil }
        case 4:
            if bytes.elementsEqual("POST".utf8) { self = .POST } else if bytes.elementsEqual("HEAD".utf8) { self = .HEAD } else { return nil }
        case 5:
            if bytes.elementsEqual("PATCH".utf8) { self = .PATCH } else { return nil }
        case 6:
            if bytes.elementsEqual("DELETE".utf8) { self = .DELETE } else { return nil }
        case 7:
            if bytes.elementsEqual("OPTIONS".utf8) { self = .OPTIONS } else { return nil }
        default:
            return nil
        }
    }
}
