import Foundation
import PDSServer

/// The server outputs the admin commands read (client-side mirrors of the lexicons' shapes).
enum AdminModels {
    /// `com.atproto.server.defs#inviteCode`, as the server encodes it.
    typealias InviteCode = InviteCodeView

    /// `com.atproto.admin.defs#accountView`, as the server encodes it.
    typealias AccountView = PDSServer.AccountView

    /// `com.atproto.sync.listRepos`.
    struct ListRepos: Codable, Sendable {
        struct Repo: Codable, Sendable {
            var did: String
            var head: String
            var rev: String
            var active: Bool?
            var status: String?
        }
        var cursor: String?
        var repos: [Repo]
    }

    /// `com.atproto.admin.getInviteCodes`.
    struct InviteCodes: Codable, Sendable {
        var cursor: String?
        var codes: [InviteCode]
    }

    /// `com.atproto.admin.defs#statusAttr`.
    struct StatusAttr: Codable, Sendable {
        var applied: Bool
        var ref: String?
    }

    /// `com.atproto.admin.getSubjectStatus` for an account.
    struct SubjectStatus: Codable, Sendable {
        var takedown: StatusAttr?
        var deactivated: StatusAttr?
    }
}

extension AdminModels.InviteCode {
    /// Whether the code can still create an account.
    var isUsable: Bool { !disabled && uses.count < available }
}

/// An account's date for a table: the day and time of a stored timestamp, without the milliseconds.
func shortDate(_ timestamp: String?) -> String {
    guard let timestamp else { return "" }
    let trimmed = timestamp.prefix(19).replacingOccurrences(of: "T", with: " ")
    return trimmed.isEmpty ? timestamp : trimmed
}
