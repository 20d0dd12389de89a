import Foundation
import PDSTestSupport
import Testing

@testable import PDSServer

/// The `pds.env` reader of `--env-file`.
@Suite struct EnvironmentFileTests {
    @Test func readsTheReferenceInstallersFile() throws {
        // The shape of the file the reference's installer writes to /pds/pds.env.
        let text = """
            PDS_HOSTNAME=pds.example.com
            PDS_JWT_SECRET=0123456789abcdef
            PDS_ADMIN_PASSWORD=s3cret
            PDS_DATA_DIRECTORY=/pds
            PDS_BLOB_UPLOAD_LIMIT=104857600
            PDS_DID_PLC_URL=https://plc.directory
            PDS_CRAWLERS=https://bsky.network
            LOG_ENABLED=true

            """
        let values = try EnvironmentFile.parse(text)
        #expect(values.count == 8)
        #expect(values["PDS_HOSTNAME"] == "pds.example.com")
        #expect(values["PDS_DID_PLC_URL"] == "https://plc.directory")
        #expect(values["LOG_ENABLED"] == "true")
    }

    @Test func commentsQuotesAndSpacing() throws {
        let text = """
            # a comment
              # an indented comment
            export PDS_A=plain
            PDS_B = spaced value  
            PDS_C="double # not a comment" # a comment
            PDS_D='single \\n literal'
            PDS_E="escapes: \\"q\\" \\\\ \\n end"
            PDS_F=value # inline comment
            PDS_G=pass#word
            PDS_H=
            PDS_A=last wins\r
            """
        let values = try EnvironmentFile.parse(text)
        #expect(values["PDS_A"] == "last wins")
        #expect(values["PDS_B"] == "spaced value")
        #expect(values["PDS_C"] == "double # not a comment")
        #expect(values["PDS_D"] == "single \\n literal")
        #expect(values["PDS_E"] == "escapes: \"q\" \\ \n end")
        #expect(values["PDS_F"] == "value")
        #expect(values["PDS_G"] == "pass#word")
        #expect(values["PDS_H"] == "")
    }

    @Test func badLinesAreNamed() {
        for (text, line, message) in [
            ("PDS_A=1\nnot a pair\n", 2, "expected KEY=VALUE"),
            ("1PDS=x", 1, "invalid variable name '1PDS'"),
            ("PDS_A=\"open", 1, "unterminated \" quote"),
            ("PDS_A='x' trailing", 1, "unexpected text after the closing quote"),
        ] {
            #expect(throws: EnvironmentFile.ParseError(line: line, message: message)) {
                try EnvironmentFile.parse(text)
            }
        }
        #expect(throws: EnvironmentFile.ParseError(line: 0, message: "no such file")) {
            try EnvironmentFile.load(path: "/nonexistent/pds.env")
        }
    }

    @Test func theAdminPasswordForClientsIsNeverGenerated() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try TestApplication.configuration(dataDirectory: dir)
            #expect(try configuration.adminPasswordForClients() == nil)
            #expect(!FileManager.default.fileExists(atPath: configuration.devSecretsURL.path))
            let generated = try configuration.resolvingSecrets().adminPassword
            #expect(try configuration.adminPasswordForClients() == generated)
            let explicit = try TestApplication.configuration(["PDS_ADMIN_PASSWORD": "given"], dataDirectory: dir)
            #expect(try explicit.adminPasswordForClients() == "given")
        }
    }
}
