import ArgumentParser
import AsyncHTTPClient
import Foundation

/// An admin command: it gets an ``AdminContext`` and reports any failure as one line on stderr with the failure's
/// exit code (ArgumentParser's own usage errors keep their exit code, 64).
protocol AdminCommand: AsyncParsableCommand {
    /// The shared options.
    var options: AdminOptions { get }

    /// Does the work.
    func execute(_ context: AdminContext) async throws(AdminFailure)
}

extension AdminCommand {
    func run() async throws {
        let http = AdminClient.makeHTTPClient()
        var failure: AdminFailure?
        do {
            try await execute(try AdminContext.load(options, http: http))
        } catch {
            failure = error
        }
        try? await http.shutdown()
        if let failure {
            Stderr.write("error: \(failure.description)\n")
            throw ExitCode(failure.exitCode)
        }
    }
}

/// Writes to the standard error.
enum Stderr {
    /// Writes `text` as it is.
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Whether stderr is a terminal (progress is shown only then).
    static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}

/// A progress line on stderr for long operations, shown only when stderr is a terminal and erased when done.
struct ProgressLine {
    /// What is in progress.
    let label: String

    /// Shows the count so far.
    func update(_ count: Int) {
        guard Stderr.isTerminal else { return }
        Stderr.write("\r\(label)… \(count)")
    }

    /// Erases the line.
    func finish() {
        guard Stderr.isTerminal else { return }
        Stderr.write("\r\u{1B}[K")
    }
}
