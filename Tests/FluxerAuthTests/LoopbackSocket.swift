#if canImport(Glibc)
import Glibc
#endif

/// A socket bound to 127.0.0.1 on an ephemeral port: TCP listening with `backlog` (a listener that never accepts
/// is a silent peer: connections complete in the kernel's queue, no answer comes), or UDP.
func bindLoopback(udp: Bool = false, backlog: Int32 = 16) -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32((udp ? SOCK_DGRAM : SOCK_STREAM).rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    if !udp { listen(fd, backlog) }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, UInt16(bigEndian: addr.sin_port))
}
