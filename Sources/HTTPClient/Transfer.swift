#if canImport(Glibc)
import Glibc
#endif
internal import CFluxerCurl

/// The state of one `curl_easy_perform`, reached from libcurl's callbacks through their user-data pointer.
///
/// Not Sendable and needs not be: libcurl calls the write, header and open-socket callbacks on the thread running
/// `curl_easy_perform` (its threaded resolver runs only getaddrinfo elsewhere), and the owner keeps the object
/// alive until perform returns.
final class Transfer {
    let rule: ConnectRule
    let maxBodyBytes: Int
    var head: ResponseHeadCollector
    var body: [UInt8] = []
    /// Set by a callback that aborted the transfer: too large a body or head, a malformed head.
    var failure: HTTPClientError?
    /// Set by the open-socket callback when it refused an address.
    var refusal: HTTPClientError?
    /// Sockets opened for addresses the rule admitted.
    var socketsOpened = 0

    init(policy: HTTPClientPolicy, url: RequestURL) {
        rule = ConnectRule(policy: policy, url: url)
        maxBodyBytes = policy.maxResponseBytes
        head = ResponseHeadCollector(maxBytes: policy.maxResponseHeaderBytes, maxCount: policy.maxResponseHeaderCount)
    }

    /// The pointer handed to libcurl as WRITEDATA, HEADERDATA and OPENSOCKETDATA; valid while `self` lives.
    var userData: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    private static func from(_ pointer: UnsafeMutableRawPointer?) -> Transfer {
        Unmanaged<Transfer>.fromOpaque(pointer!).takeUnretainedValue()
    }

    /// CURLOPT_WRITEFUNCTION: appends body bytes; returning less than given aborts with CURLE_WRITE_ERROR.
    static let writeBody: curl_write_callback = { data, size, count, user in
        let transfer = Transfer.from(user)
        let length = size * count
        guard length <= transfer.maxBodyBytes - transfer.body.count else {
            transfer.failure = .responseTooLarge
            return 0
        }
        if length > 0, let data { transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
        return length
    }

    /// CURLOPT_HEADERFUNCTION: one complete header line per call (curl docs, CURLOPT_HEADERFUNCTION).
    static let writeHeader: curl_write_callback = { data, size, count, user in
        let transfer = Transfer.from(user)
        let length = size * count
        switch transfer.head.consume(UnsafeRawBufferPointer(start: data, count: length)) {
        case .proceed:
            return length
        case .tooLarge:
            transfer.failure = .headersTooLarge
            return 0
        case .malformed:
            transfer.failure = .protocolError
            return 0
        }
    }

    /// CURLOPT_OPENSOCKETFUNCTION: called with each resolved address just before its socket would be made. This is
    /// the check that defeats DNS rebinding: it sees the address really connected to, not an earlier lookup.
    static let openSocket: curl_opensocket_callback = { user, _, address in
        let transfer = Transfer.from(user)
        guard let address else { return CURL_SOCKET_BAD }
        let peer = fluxer_curl_sockaddr_address(address).flatMap { IPAddress($0, length: Int(address.pointee.addrlen)) }
        if let refusal = transfer.rule.refusal(for: peer) {
            transfer.refusal = refusal
            return CURL_SOCKET_BAD
        }
        let fd = socket(address.pointee.family, address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.protocol)
        guard fd >= 0 else { return CURL_SOCKET_BAD }
        transfer.socketsOpened += 1
        return fd
    }
}
