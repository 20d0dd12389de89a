import ATCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import ServiceDB
import Testing

@testable import PDSServer

/// `com.atproto.admin.getInviteCodes`, `disableInviteCodes`, `enableAccountInvites`, `disableAccountInvites`.
@Suite struct ComAtprotoAdminInviteTests {
    /// Every code of `getInviteCodes` with `sort`, `limit` at a time, following the cursor.
    static func allCodes(
        _ xrpc: XRPCTestClient, _ services: PDSServices, sort: String, limit: Int
    ) async throws -> [InviteCodeView] {
        var codes: [InviteCodeView] = []
        var cursor: String?
        repeat {
            var query = "sort=\(sort)&limit=\(limit)"
            if let cursor { query += "&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
            let reply = try await xrpc.admin("getInviteCodes", services, query: query)
            #expect(reply.status == .ok, "\(reply.text)")
            let page = try reply.decode(ComAtprotoAdmin.GetInviteCodesOutput.self)
            #expect(page.codes.count <= limit)
            codes += page.codes
            cursor = page.codes.isEmpty ? nil : page.cursor
        } while cursor != nil
        return codes
    }

    /// Runs `body` against a fresh server that requires invite codes, with no account.
    static func withInvitesRequired(_ body: @escaping @Sendable (PDSServices, XRPCTestClient) async throws -> Void)
        async throws
    {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(["PDS_INVITE_REQUIRED": "true"], dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                try await body(services, XRPCTestClient(client))
            }
        }
    }

    @Test func inviteCodesPageInBothOrders() async throws {
        try await Self.withInvitesRequired { services, xrpc in
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            // Seven codes, three sharing a creation time (the code breaks the tie), with 0…3 uses each.
            for index in 0..<7 {
                let createdAt = base.addingTimeInterval(Double(min(index, 4)))
                try await services.serviceDB.createInviteCodes(
                    [(code: "code-\(index)", forAccount: "admin")], useCount: 5, createdBy: "admin", now: createdAt)
            }
            for (index, uses) in [(1, 3), (4, 2), (6, 1)] {
                for use in 0..<uses {
                    _ = try await xrpc.createAccount(handle: "u\(index)x\(use).test", inviteCode: "code-\(index)")
                }
            }

            let recent = try await Self.allCodes(xrpc, services, sort: "recent", limit: 2)
            #expect(recent.map(\.code) == ["code-6", "code-5", "code-4", "code-3", "code-2", "code-1", "code-0"])
            let usage = try await Self.allCodes(xrpc, services, sort: "usage", limit: 3)
            #expect(usage.map(\.code) == ["code-1", "code-4", "code-6", "code-5", "code-3", "code-2", "code-0"])
            #expect(usage.first?.uses.count == 3 && usage.first?.available == 5)
            let everything = try await Self.allCodes(xrpc, services, sort: "recent", limit: 500)
            #expect(everything.count == 7)

            let first = try await xrpc.admin("getInviteCodes", services, query: "limit=1")
            let cursor = try first.decode(ComAtprotoAdmin.GetInviteCodesOutput.self).cursor
            #expect(cursor == "\(Int64(base.timeIntervalSince1970 * 1000) + 4000)::code-6")

            for (query, message) in [
                ("sort=oldest", "unknown sort method: oldest"),
                ("cursor=nonsense", "Malformed cursor"),
                ("limit=501", nil),
                ("limit=0", nil),
            ] {
                let reply = try await xrpc.admin("getInviteCodes", services, query: query)
                #expect(reply.status == .badRequest, "\(query): \(reply.text)")
                if let message { #expect(reply.json["message"] as? String == message) }
            }
        }
    }

    @Test func disableInviteCodesByCodeAndAccount() async throws {
        try await Self.withInvitesRequired { services, xrpc in
            try await services.serviceDB.createInviteCodes(
                ["a-0", "a-1", "a-2"].map { (code: $0, forAccount: "admin") }, useCount: 1, createdBy: "admin")
            let bob = try await xrpc.createAccount(handle: "bob.test", inviteCode: "a-0")
            try await services.serviceDB.createInviteCodes(
                [(code: "b-1", forAccount: bob.did), (code: "b-2", forAccount: bob.did)], useCount: 1,
                createdBy: "admin")
            let reply = try await xrpc.admin(
                "disableInviteCodes", services, json: ["codes": ["a-1"], "accounts": [bob.did]])
            #expect(reply.status == .ok, "\(reply.text)")
            let codes = try await Self.allCodes(xrpc, services, sort: "recent", limit: 100)
            let disabled = Set(codes.filter(\.disabled).map(\.code))
            #expect(disabled == ["a-1", "b-1", "b-2"])
            #expect(codes.count == 5)
            let used = try await xrpc.call(
                "com.atproto.server.createAccount",
                json: [
                    "handle": "carl.test", "email": "carl@example.com", "password": "password-123", "inviteCode": "b-1",
                ])
            #expect(used.error == "InvalidInviteCode", "\(used.text)")

            let admin = try await xrpc.admin("disableInviteCodes", services, json: ["accounts": ["admin"]])
            #expect(
                admin.status == .badRequest && admin.json["message"] as? String == "cannot disable admin invite codes")
        }
    }

    @Test func accountInvitesCanBeDisabledAndEnabled() async throws {
        try await TestApplication.withAccount(handle: "dora.test") { _, services, xrpc, dora in
            func invitesDisabled() async throws -> Bool? {
                try await xrpc.admin("getAccountInfo", services, query: "did=\(dora.did)")
                    .decode(AccountView.self).invitesDisabled
            }
            #expect(try await invitesDisabled() == false)
            let disable = try await xrpc.admin(
                "disableAccountInvites", services, json: ["account": dora.did, "note": "spam"])
            #expect(disable.status == .ok, "\(disable.text)")
            #expect(try await invitesDisabled() == true)
            let enable = try await xrpc.admin("enableAccountInvites", services, json: ["account": dora.did])
            #expect(enable.status == .ok, "\(enable.text)")
            #expect(try await invitesDisabled() == false)
            let bad = try await xrpc.admin("enableAccountInvites", services, json: ["account": "not-a-did"])
            #expect(bad.status == .badRequest, "\(bad.text)")
        }
    }
}
