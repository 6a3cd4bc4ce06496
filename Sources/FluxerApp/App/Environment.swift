import FluxerPersistence
import FluxerDomain
import FluxerAPI
#if canImport(Glibc)
import Glibc
#endif

/// The process environment as a dictionary.
public enum Environment {
    /// Every `NAME=value` pair of the current process.
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}
