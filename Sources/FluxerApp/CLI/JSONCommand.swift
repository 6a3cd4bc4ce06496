import ArgumentParser

/// A command whose result is one JSON document on stdout, or one line on stderr with the exit status of its
/// `UserCommands.Failure` (a check's report still goes to stdout). Tests parse the same arguments and call
/// `output()`.
protocol JSONCommand: ParsableCommand {
    func output() throws(UserCommands.Failure) -> String
}

extension JSONCommand {
    func run() throws {
        do {
            print(try output())
        } catch {
            if case .problems(let report, _) = error { print(report) }
            fail(error.description, code: error.exitCode)
        }
    }
}
