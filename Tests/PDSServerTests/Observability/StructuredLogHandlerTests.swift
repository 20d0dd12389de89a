import Foundation
import Logging
import Synchronization
import Testing

@testable import PDSServer

/// The structured log handler: valid logfmt and JSON lines, the request id from the task, and secrets redacted.
@Suite struct StructuredLogHandlerTests {
    /// The lines a handler wrote.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    static func logger(_ format: StructuredLogHandler.Format, into lines: Lines) -> Logger {
        Logger(label: "pds.test") { label in
            var handler = StructuredLogHandler(
                label: label, format: format, metadataProvider: RequestLogContext.metadataProvider,
                output: { lines.append($0) })
            handler.logLevel = .debug
            return handler
        }
    }

    static let jwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9"
        + ".eyJzY29wZSI6ImNvbS5hdHByb3RvLmFjY2VzcyIsInN1YiI6ImRpZDpwbGM6eCJ9.c2lnbmF0dXJl"

    @Test func jsonLinesCarryTheFieldsAndTheRequestID() async throws {
        let lines = Lines()
        let logger = Self.logger(.json, into: lines)
        await RequestLogContext.$requestID.withValue("req-42") {
            logger.info("Hello \"world\"\n", metadata: ["atproto.did": "did:plc:abc", "n": .stringConvertible(3)])
        }
        logger.warning("outside")
        #expect(lines.all.count == 2)
        for line in lines.all { #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil) }
        let first = try #require(
            try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info")
        #expect(first["label"] as? String == "pds.test")
        #expect(first["message"] as? String == "Hello \"world\"\n")
        #expect((first["timestamp"] as? String)?.hasSuffix("Z") == true)
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["hb.request.id"] as? String == "req-42")
        #expect(metadata["atproto.did"] as? String == "did:plc:abc")
        #expect(metadata["n"] as? String == "3")
        let second = try #require(
            try JSONSerialization.jsonObject(with: Data(lines.all[1].utf8)) as? [String: Any])
        #expect((second["metadata"] as? [String: Any])?["hb.request.id"] == nil)
    }

    @Test func logfmtLinesQuoteWhatNeedsIt() async {
        let lines = Lines()
        let logger = Self.logger(.logfmt, into: lines)
        await RequestLogContext.$requestID.withValue("req-7") {
            logger.info("two words", metadata: ["plain": "x", "spaced": "a b", "equals": "k=v", "empty": ""])
        }
        let line = lines.all[0]
        #expect(line.hasPrefix("ts="))
        #expect(line.contains(" level=info label=pds.test msg=\"two words\" "))
        #expect(line.contains(" hb.request.id=req-7"))
        #expect(line.contains(" plain=x"))
        #expect(line.contains(#" spaced="a b""#))
        #expect(line.contains(#" equals="k=v""#))
        #expect(line.contains(#" empty="""#))
        #expect(line.hasSuffix("\n"))
    }

    @Test func secretsAreRedacted() {
        for format in [StructuredLogHandler.Format.json, .logfmt] {
            let lines = Lines()
            let logger = Self.logger(format, into: lines)
            logger.info(
                "token \(Self.jwt) and Bearer \(Self.jwt) in the message",
                metadata: [
                    "authorization": "Basic YWRtaW46aHVudGVyMg==", "password": "hunter2", "refreshJwt": "abc",
                    "email.token": "12345-ABCDE", "error": "decoding failed for \(Self.jwt)",
                    "nested": .dictionary(["header": "Bearer opaque-token-value"]),
                ])
            let line = lines.all[0]
            for secret in [Self.jwt, "hunter2", "YWRtaW46aHVudGVyMg==", "12345-ABCDE", "opaque-token-value", "abc\""] {
                #expect(!line.contains(secret), "\(format): \(line)")
            }
            #expect(line.contains(LogRedaction.placeholder))
        }
    }

    @Test func redactionLeavesOrdinaryTextAlone() {
        #expect(LogRedaction.redact("did:plc:abc created at.uri/eyJ") == "did:plc:abc created at.uri/eyJ")
        #expect(LogRedaction.redact("Basic ") == "Basic ")
        #expect(!LogRedaction.isSecretKey("hb.request.id"))
        #expect(LogRedaction.isSecretKey("Authorization"))
    }

    @Test func byteSearchFindsNeedlesAnywhere() {
        #expect(LogRedaction.hasBytes("x-refresh-token", "token"))
        #expect(LogRedaction.hasBytes("token", "token"))
        #expect(LogRedaction.hasBytes("héllo Bearer abc", "Bearer "))
        #expect(!LogRedaction.hasBytes("toke", "token"))
        #expect(!LogRedaction.hasBytes("tokne", "token"))
        #expect(LogRedaction.hasBytes("anything", ""))
        #expect(LogRedaction.redact("a Bearer abc.def b") == "a Bearer [redacted] b")
    }

    @Test func theLogFormatVariable() {
        #expect(StructuredLogHandler.Format(environment: "json") == .json)
        #expect(StructuredLogHandler.Format(environment: "JSON") == .json)
        #expect(StructuredLogHandler.Format(environment: nil) == .logfmt)
        #expect(StructuredLogHandler.Format(environment: "text") == .logfmt)
    }
}
