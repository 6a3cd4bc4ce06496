internal import CFluxerShim
import FluxerCrypto

/// QR codes (ISO/IEC 18004) rendered as SVG, via libqrencode: error correction level M, 8-bit byte
/// mode, the smallest version that fits. Used for `otpauth://` provisioning URIs.
package enum QRCode {
    /// The longest input in UTF-8 bytes; longer input returns nil. Version 40-M holds 2331 bytes.
    package static let maxInputBytes = 2048

    /// The dark (true) and light (false) modules, row by row, without the quiet zone; nil when
    /// `text` is empty, longer than `maxInputBytes`, contains NUL (a C string would be cut short)
    /// or libqrencode fails.
    package static func modules(_ text: String) -> [[Bool]]? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maxInputBytes, !bytes.contains(0) else { return nil }
        guard let symbol = text.withCString({ QRcode_encodeString($0, 0, QR_ECLEVEL_M, QR_MODE_8, 1) }) else {
            return nil
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        let data = symbol.pointee.data!
        // libqrencode: one byte per module, bit 0 set when dark.
        return (0..<width).map { row in (0..<width).map { column in data[row * width + column] & 1 == 1 } }
    }

    /// A compact SVG of `text`: black modules on a white background, one `<path>` of horizontal
    /// runs (`M x y h n v1 h-n z`) in module units scaled by `viewBox`, `shape-rendering="crispEdges"`.
    ///
    /// Each module is `moduleSize` pixels (at least 1); the quiet zone is `border` modules (at least 0;
    /// ISO/IEC 18004 §7.3.7 asks for 4). Returns nil whenever `modules(_:)` does.
    package static func svg(_ text: String, moduleSize: Int = 4, border: Int = 4) -> String? {
        precondition(moduleSize >= 1, "QR module size must be positive")
        precondition(border >= 0, "QR border must not be negative")
        guard let matrix = modules(text) else { return nil }
        let side = matrix.count + 2 * border
        let pixels = side * moduleSize
        var path = ""
        for (row, line) in matrix.enumerated() {
            var column = 0
            while column < line.count {
                guard line[column] else {
                    column += 1
                    continue
                }
                let start = column
                while column < line.count, line[column] { column += 1 }
                let run = column - start
                path += "M\(start + border) \(row + border)h\(run)v1h-\(run)z"
            }
        }
        return ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(pixels)" height="\##(pixels)" "##
            + ##"viewBox="0 0 \##(side) \##(side)" shape-rendering="crispEdges">"##
            + ##"<rect width="\##(side)" height="\##(side)" fill="#fff"/>"##
            + ##"<path fill="#000" d="\##(path)"/></svg>"##
    }

    /// `svg(text)` as a `data:image/svg+xml;base64,…` URI (RFC 2397), for an `<img src>`.
    package static func svgDataURI(_ text: String) -> String? {
        svg(text).map { "data:image/svg+xml;base64," + Base64.encode(Array($0.utf8)) }
    }
}
