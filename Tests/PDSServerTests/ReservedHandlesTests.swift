import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// The reference's reserved names, refused directly under a service handle domain.
@Suite struct ReservedHandlesTests {
    @Test func theReferenceListIsEmbeddedWhole() {
        // 1,030 entries in the reference's three lists, `twitter` in two of them.
        #expect(ReservedHandles.atpSpecific.count + ReservedHandles.commonlyReserved.count
            + ReservedHandles.famousAccounts.count == 1030)
        #expect(ReservedHandles.names.count == 1029)
        for name in ["billing", "sysadmin", "password", "secure", "bank", "xrpc", "contact-us", "barackobama"] {
            #expect(ReservedHandles.contains(name), "\(name)")
        }
        #expect(!ReservedHandles.contains("alice"))
        #expect(ReservedHandles.names.allSatisfy { $0 == $0.lowercased() })
    }

    @Test func reservedNamesAreRefusedUnderTheServiceDomain() async throws {
        try await withTemporaryDirectory { dir in
            try await TestApplication.make(dataDirectory: dir).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                for handle in ["billing.test", "sysadmin.test", "password.test", "secure.test", "bank.test", "Billing.TEST",
                    "taylorswift.test", "contact-us.test", "lexicon.test"]
                {
                    let reply = try await xrpc.call(
                        "com.atproto.server.createAccount",
                        json: ["handle": handle, "email": "\(handle.lowercased())@example.com", "password": "p"])
                    #expect(reply.status == .badRequest, "\(handle)")
                    #expect(reply.error == "HandleNotAvailable", "\(handle)")
                    #expect(reply.json["message"] as? String == "Reserved handle", "\(handle)")
                }
                // Only the label in front of the service domain counts, and only under a service domain.
                for handle in ["billings.test", "my-bank.test", "securely.test"] {
                    let reply = try await xrpc.call(
                        "com.atproto.server.createAccount",
                        json: ["handle": handle, "email": "\(handle)@example.com", "password": "password-123"])
                    #expect(reply.status == .ok, "\(handle): \(reply.text)")
                }
                let elsewhere = try await xrpc.call(
                    "com.atproto.server.createAccount",
                    json: ["handle": "billing.example.com", "email": "b@example.com", "password": "p"])
                #expect(elsewhere.error == "UnsupportedDomain")
                let syntax = try await xrpc.call(
                    "com.atproto.server.createAccount",
                    json: ["handle": "bad_name.test", "email": "c@example.com", "password": "p"])
                #expect(syntax.error == "InvalidHandle")
                #expect((syntax.json["message"] as? String)?.hasPrefix("Invalid handle: ") == true, "\(syntax.text)")
            }
        }
    }
}
