import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP server for a test: `Tests/e2e/smtp_sink.py` (aiosmtpd, from PyPI) on a free loopback port, writing
/// what it accepts to a temporary directory, parsed by Python's email package. Stopped by ``stop()`` or when the
/// test process exits.
package final class SMTPSink: Sendable {
    /// How the server protects connections.
    package enum TLSMode: String, Sendable {
        /// Plain SMTP, no STARTTLS offered.
        case none
        /// STARTTLS offered and required before MAIL.
        case starttls
        /// TLS from the first byte.
        case smtps
    }

    /// A message as the server received it.
    package struct Received: Decodable, Sendable {
        /// The envelope sender.
        package var mailFrom: String
        /// The envelope recipients.
        package var rcptTos: [String]
        /// The message as transmitted (after the server undid dot-stuffing).
        package var data: String
        /// Whether it came over TLS.
        package var tls: Bool
        /// Whether the client authenticated.
        package var auth: Bool
        /// The decoded `Subject`.
        package var subject: String
        /// `From`, `To`, `Date` and `Message-ID` as read.
        package var from: String, to: String, date: String, messageID: String
        /// The top-level content type.
        package var contentType: String
        /// The decoded plain-text and HTML bodies.
        package var text: String?, html: String?
        /// What Python's parser found wrong.
        package var defects: [String]

        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from", rcptTos = "rcpt_tos", data, tls, auth, subject, from, to, date
            case messageID = "message_id", contentType = "content_type", text, html, defects
        }

        /// The `XXXXX-XXXXX` token in the text body.
        package var token: String? {
            guard let text, let range = text.range(of: #"[A-Z2-7]{5}-[A-Z2-7]{5}"#, options: .regularExpression)
            else { return nil }
            return String(text[range])
        }
    }

    /// The port it listens on (127.0.0.1).
    package let port: Int
    /// Where it writes messages (and `cert.pem` in TLS modes).
    package let directory: URL
    private let pid: pid_t
    private let stdin: Mutex<Int32?>

    /// The self-signed certificate clients must trust (TLS modes).
    package var certificatePath: String { directory.appendingPathComponent("cert.pem").path }

    private init(port: Int, directory: URL, pid: pid_t, stdin: Int32) {
        self.port = port
        self.directory = directory
        self.pid = pid
        self.stdin = Mutex(stdin)
    }

    deinit { stop() }

    /// Starts a server and waits until it listens.
    /// - Parameters:
    ///   - tls: how it protects connections.
    ///   - credentials: `user:password` it requires with AUTH, if any.
    ///   - loginOnly: offer AUTH LOGIN only (not PLAIN).
    ///   - refuse: a code (for example 550) it answers every RCPT TO with.
    package static func start(
        tls: TLSMode = .none, credentials: String? = nil, loginOnly: Bool = false, refuse: Int? = nil
    ) async throws -> SMTPSink {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try TestProcess.freePort()
        var arguments = [
            try TestProcess.python(), TestProcess.repositoryRoot.appendingPathComponent("Tests/e2e/smtp_sink.py").path,
            "--port", String(port), "--dir", directory.path, "--tls", tls.rawValue,
        ]
        if let credentials { arguments += ["--auth", credentials] + (loginOnly ? ["--login-only"] : []) }
        if let refuse { arguments += ["--refuse", String(refuse)] }
        let log = directory.appendingPathComponent("server.log").path
        let (pid, stdin) = try TestProcess.spawn(arguments, log: log)
        let sink = SMTPSink(port: port, directory: directory, pid: pid, stdin: stdin)
        let ready = directory.appendingPathComponent("ready").path
        for _ in 0..<600 {
            if FileManager.default.fileExists(atPath: ready) { return sink }
            if TestProcess.hasExited(pid) {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw TestProcess.Failure(description: "smtp_sink.py exited: \(output.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestProcess.Failure(description: "smtp_sink.py did not start on port \(port)")
    }

    /// The messages accepted so far, in order.
    package func messages() throws -> [Received] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        let decoder = JSONDecoder()
        return try names.map {
            try decoder.decode(Received.self, from: Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }

    /// Waits until at least `count` messages arrived (a liveness bound, not a timing assertion).
    /// - Returns: all messages so far.
    package func waitForMessages(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let received = try messages()
            if received.count >= count { return received }
            guard ContinuousClock.now < deadline else {
                throw TestProcess.Failure(description: "expected \(count) messages, got \(received.count)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the server (closes its standard input) and waits for it to exit.
    package func stop() {
        guard let fd = stdin.withLock({ fd -> Int32? in defer { fd = nil }; return fd }) else { return }
        close(fd)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}
