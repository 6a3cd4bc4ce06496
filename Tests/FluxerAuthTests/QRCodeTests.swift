@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import Foundation
import Testing

/// True when the 7×7 finder pattern (ISO/IEC 18004 §6.3.3) with its light separator sits at (top, left).
private func hasFinderPattern(_ matrix: [[Bool]], top: Int, left: Int) -> Bool {
    for row in -1...7 {
        for column in -1...7 {
            let y = top + row, x = left + column
            guard matrix.indices.contains(y), matrix.indices.contains(x) else { continue }
            let ring = max(abs(row - 3), abs(column - 3))
            // Rings from the centre: 3×3 dark core (ring ≤ 1), light ring 2, dark ring 3, light separator 4.
            let dark = ring <= 1 || ring == 3
            if matrix[y][x] != dark { return false }
        }
    }
    return true
}

/// Rebuilds the module matrix from the SVG path's `M x y h n v1 h-n z` runs.
private func matrix(fromPath d: String, side: Int, border: Int) -> [[Bool]]? {
    var result = [[Bool]](repeating: [Bool](repeating: false, count: side - 2 * border), count: side - 2 * border)
    for run in d.split(separator: "z") {
        guard run.hasPrefix("M"), let h = run.firstIndex(of: "h"), let v = run.firstIndex(of: "v") else { return nil }
        let point = run[run.index(after: run.startIndex)..<h].split(separator: " ")
        guard point.count == 2, let x = Int(point[0]), let y = Int(point[1]),
              let length = Int(run[run.index(after: h)..<v]), length > 0,
              run[v...] == "v1h-\(length)"
        else { return nil }
        for column in x..<(x + length) { result[y - border][column - border] = true }
    }
    return result
}

private func attribute(_ name: String, in svg: String) -> String? {
    guard let start = svg.range(of: " \(name)=\"") else { return nil }
    return String(svg[start.upperBound...].prefix { $0 != "\"" })
}

@Test func modules_shortTextIsVersion1WithFinderPatterns() throws {
    let matrix = try #require(QRCode.modules("https://fx.io"))
    #expect(matrix.count == 21)
    #expect(matrix.allSatisfy { $0.count == 21 })
    #expect(hasFinderPattern(matrix, top: 0, left: 0))
    #expect(hasFinderPattern(matrix, top: 0, left: 14))
    #expect(hasFinderPattern(matrix, top: 14, left: 0))
    #expect(!hasFinderPattern(matrix, top: 14, left: 14))
    // Timing patterns (§6.3.5) alternate on row and column 6; the dark module (§6.9) is at (4V + 9, 8).
    for index in 8...12 {
        #expect(matrix[6][index] == (index % 2 == 0))
        #expect(matrix[index][6] == (index % 2 == 0))
    }
    #expect(matrix[13][8])
}

@Test func modules_longerTextGrowsToVersion2() throws {
    // Version 1-M holds 14 bytes in byte mode, version 2-M 26.
    #expect(try #require(QRCode.modules(String(repeating: "a", count: 14))).count == 21)
    let matrix = try #require(QRCode.modules(String(repeating: "a", count: 15)))
    #expect(matrix.count == 25)
    #expect(hasFinderPattern(matrix, top: 0, left: 0))
    #expect(hasFinderPattern(matrix, top: 0, left: 18))
    #expect(hasFinderPattern(matrix, top: 18, left: 0))
}

@Test func modules_isDeterministicAndInputSensitive() {
    #expect(QRCode.modules("fluxer") == QRCode.modules("fluxer"))
    #expect(QRCode.modules("fluxer") != QRCode.modules("fluxes"))
    #expect(QRCode.modules("é") != nil)
}

@Test func modules_sizeLimit() throws {
    let atLimit = try #require(QRCode.modules(String(repeating: "a", count: QRCode.maxInputBytes)))
    #expect(atLimit.count >= 17 + 4 * 38 && atLimit.count <= 177)
    #expect(QRCode.modules(String(repeating: "a", count: QRCode.maxInputBytes + 1)) == nil)
    // The limit counts UTF-8 bytes, not characters: 1025 × "é" is 2050 bytes.
    #expect(QRCode.modules(String(repeating: "é", count: 1024)) != nil)
    #expect(QRCode.modules(String(repeating: "é", count: 1025)) == nil)
}

@Test func modules_refusesEmptyAndNUL() {
    #expect(QRCode.modules("") == nil)
    #expect(QRCode.modules("ab\u{0}cd") == nil)
    #expect(QRCode.svg("") == nil)
    #expect(QRCode.svgDataURI("") == nil)
}

@Test func svg_isOnePathOfRunsMatchingTheModules() throws {
    let text = "otpauth://totp/Fluxer:alice?secret=GEZDGNBVGY3TQOJQ"
    let modules = try #require(QRCode.modules(text))
    let svg = try #require(QRCode.svg(text, moduleSize: 4, border: 4))
    let side = modules.count + 8
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(svg.hasSuffix("</path></svg>") || svg.hasSuffix("/></svg>"))
    #expect(attribute("viewBox", in: svg) == "0 0 \(side) \(side)")
    #expect(attribute("width", in: svg) == "\(side * 4)")
    #expect(attribute("height", in: svg) == "\(side * 4)")
    #expect(attribute("shape-rendering", in: svg) == "crispEdges")
    #expect(svg.contains("fill=\"#fff\""))
    #expect(svg.components(separatedBy: "<path").count == 2)
    #expect(svg.components(separatedBy: "<").count == svg.components(separatedBy: ">").count)
    let d = try #require(attribute("d", in: svg))
    #expect(matrix(fromPath: d, side: side, border: 4) == modules)
}

@Test func svg_moduleSizeAndBorder() throws {
    let modules = try #require(QRCode.modules("x"))
    let svg = try #require(QRCode.svg("x", moduleSize: 1, border: 0))
    #expect(attribute("viewBox", in: svg) == "0 0 \(modules.count) \(modules.count)")
    #expect(attribute("width", in: svg) == "\(modules.count)")
    #expect(svg.contains("d=\"M0 0h7v1h-7z"))  // the top-left finder's first row, no border
    let d = try #require(attribute("d", in: svg))
    #expect(matrix(fromPath: d, side: modules.count, border: 0) == modules)
}

@Test func svg_refusesOversize() {
    #expect(QRCode.svg(String(repeating: "a", count: QRCode.maxInputBytes + 1)) == nil)
    #expect(QRCode.svgDataURI(String(repeating: "a", count: QRCode.maxInputBytes + 1)) == nil)
}

@Test func svgDataURI_wrapsTheSVGInBase64() throws {
    let uri = try #require(QRCode.svgDataURI("fluxer"))
    let prefix = "data:image/svg+xml;base64,"
    #expect(uri.hasPrefix(prefix))
    let decoded = try #require(Base64.decode(String(uri.dropFirst(prefix.count))))
    #expect(String(decoding: decoded, as: UTF8.self) == QRCode.svg("fluxer"))
}

@Test func svg_invalidGeometryTraps() async {
    await #expect(processExitsWith: .failure) { _ = QRCode.svg("x", moduleSize: 0) }
    await #expect(processExitsWith: .failure) { _ = QRCode.svg("x", border: -1) }
}

private let zbarimg = "/usr/bin/zbarimg"

/// Optional end-to-end check: a real decoder (`zbarimg`, Debian zbar-tools) reads the symbol back.
@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: zbarimg), "zbar-tools not installed"))
func modules_decodeWithZbar() throws {
    for text in ["https://fx.io", TOTP.provisioningURI(secret: TOTP.generateSecret(), issuer: "Fluxer Auth",
                                                      account: "alice@example.com")] {
        let modules = try #require(QRCode.modules(text))
        let scale = 4, border = 4, side = (modules.count + 2 * border) * scale
        var pbm = "P1\n\(side) \(side)\n"
        for y in 0..<side {
            let row = (0..<side).map { x -> String in
                let my = y / scale - border, mx = x / scale - border
                let dark = modules.indices.contains(my) && modules.indices.contains(mx) && modules[my][mx]
                return dark ? "1" : "0"
            }
            pbm += row.joined(separator: " ") + "\n"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fx-qr-\(UUID().uuidString).pbm")
        try pbm.write(to: file, atomically: true, encoding: .ascii)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zbarimg)
        process.arguments = ["--raw", "-q", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice  // ImageMagick complains about D-Bus on stderr
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: data, as: UTF8.self) == text + "\n")
    }
}
