#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import HTTPServer
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// The sharded log buffer: lines from many threads, flushed while they write, arrive whole and exactly once.
@Suite struct LogSinkTests {
    @Test func concurrentWriters_everyLineWholeAndOnce() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fd = open(dir.file("log"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let sink = LogSink(fd: fd)
        let threads = 6, perThread = 20_000
        let workers = (0..<threads).map { t in
            OSThread(name: "writer") {
                for i in 0..<perThread {
                    // Fast, but not faster than a disk: 2,000 lines per millisecond or so per thread.
                    if i % 2_000 == 0 { usleep(1_000) }
                    // Long enough lines that shards cross the flush threshold many times.
                    if i % 2 == 0 {
                        sink.write("thread=\(t) line=\(i) " + String(repeating: "x", count: 100))
                    } else {
                        sink.append { AccessLog.append(RequestLogRecord(method: "GET", route: "/r", status: 200, durationNanoseconds: 1_000,
                                                                         requestID: "\(t)-\(i)", remoteAddress: "127.0.0.1", unexpectedError: nil),
                                                       to: &$0) }
                    }
                }
            }
        }
        // A reader flushing at the same time, as tests and shutdown do.
        for _ in 0..<20 { sink.flush(); usleep(1_000) }
        for w in workers { w.join() }
        sink.close()
        close(fd)
        let lines = dir.read("log").split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // On a loaded machine the writers may outrun the disk: a full shard then drops whole lines and the next
        // flush says how many. Whatever the timing, every line is whole, none appears twice, and kept + dropped
        // is everything written.
        var seen = Set<String>()
        var kept = 0, reported = 0
        for line in lines {
            if line.hasPrefix("level=warning msg=\"log lines dropped") {
                reported += Int(line.split(separator: "=").last ?? "") ?? 0
                continue
            }
            kept += 1
            if line.hasPrefix("thread=") {
                #expect(line.hasSuffix(String(repeating: "x", count: 100)), "\(line.prefix(60))")
                seen.insert(String(line.split(separator: " ")[0...1].joined(separator: " ")))
            } else {
                #expect(line.hasPrefix("time=") && line.hasSuffix("remote=127.0.0.1"), "\(line.prefix(60))")
                seen.insert(String(line.split(separator: " ").first { $0.hasPrefix("request_id=") } ?? ""))
            }
        }
        #expect(seen.count == kept, "no line twice")
        #expect(kept + reported == threads * perThread, "kept \(kept) + dropped \(reported)")
        #expect(kept > threads * perThread / 4, "the writer mostly keeps up with a paced load (kept \(kept))")
    }

    /// A burst faster than the writer: the sink stays bounded, drops whole lines only, and says how many.
    @Test func overload_dropsWholeLinesAndCountsThem() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fd = open(dir.file("log"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let sink = LogSink(fd: fd)
        let total = 200_000
        let line = String(repeating: "y", count: 200)
        for _ in 0..<total { sink.write(line) }
        sink.close()
        close(fd)
        let lines = dir.read("log").split(separator: "\n")
        let kept = lines.filter { $0 == line[...] }.count
        let warnings = lines.filter { $0.contains("log lines dropped") }
        let reported = warnings.compactMap { $0.split(separator: "=").last.flatMap { Int($0) } }.reduce(0, +)
        #expect(kept + reported == total, "kept \(kept), reported dropped \(reported)")
        #expect(lines.count == kept + warnings.count, "nothing else, nothing torn")
    }
}
