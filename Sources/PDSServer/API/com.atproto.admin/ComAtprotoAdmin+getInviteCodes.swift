import ATCore
import Foundation
import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// Output of `com.atproto.admin.getInviteCodes`.
    struct GetInviteCodesOutput: ResponseEncodable, Decodable {
        var cursor: String?
        var codes: [InviteCodeView]
    }

    /// `com.atproto.admin.getInviteCodes` (moderator): every invite code, newest first (`sort=recent`, the default)
    /// or most used first (`sort=usage`), `limit` (1–500, default 100) at a time.
    ///
    /// The cursor is the reference's: `<createdAt in Unix milliseconds>::<code>` or `<uses>::<code>`, the last row
    /// of the page; it is given whenever the page is not empty.
    /// - Throws: 400 `InvalidRequest` "unknown sort method: …" or "Malformed cursor".
    func getInviteCodes(_ request: Request) async throws -> GetInviteCodesOutput {
        try await auth.moderator(request, lxm: "com.atproto.admin.getInviteCodes")
        let parameters = XRPCParameters(request)
        let order: ServiceDB.InviteCodeOrder
        switch parameters.string("sort") ?? "recent" {
        case "recent": order = .recent
        case "usage": order = .usage
        case let other: throw XRPCError.invalidRequest("unknown sort method: \(other)")
        }
        let limit = try parameters.integer("limit", default: 100, range: 1...500)
        let after = try parameters.string("cursor").map { try Self.unpackInviteCursor($0, order: order) }
        let codes = try await serviceDB.listInviteCodes(order: order, after: after, limit: limit)
        return GetInviteCodesOutput(
            cursor: codes.last.map { Self.packInviteCursor($0, order: order) },
            codes: codes.map(InviteCodeView.init))
    }

    /// The cursor after `code`.
    static func packInviteCursor(_ code: ServiceDB.InviteCodeRecord, order: ServiceDB.InviteCodeOrder) -> String {
        switch order {
        case .recent:
            let millis = (try? Datetime(code.createdAt)).map { Int64(($0.date.timeIntervalSince1970 * 1000).rounded()) }
            return "\(millis ?? 0)::\(code.code)"
        case .usage:
            return "\(code.uses.count)::\(code.code)"
        }
    }

    /// The row a cursor names: the stored `createdAt` text (`recent`) or the use count (`usage`), and the code.
    /// - Throws: 400 `InvalidRequest` "Malformed cursor".
    static func unpackInviteCursor(_ cursor: String, order: ServiceDB.InviteCodeOrder) throws(XRPCError)
        -> (primary: String, code: String)
    {
        let parts = cursor.components(separatedBy: "::")
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, let number = Int64(parts[0]) else {
            throw .invalidRequest("Malformed cursor")
        }
        switch order {
        case .recent:
            let date = Date(timeIntervalSince1970: Double(number) / 1000)
            return (Datetime(date).rawValue, parts[1])
        case .usage:
            return (String(number), parts[1])
        }
    }
}
