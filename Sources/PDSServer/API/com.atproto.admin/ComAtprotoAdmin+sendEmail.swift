import ATCore
import Hummingbird
import Mailer
import ServiceDB

extension ComAtprotoAdmin {
    /// Input of `com.atproto.admin.sendEmail`.
    struct SendEmailInput: Decodable {
        var recipientDid: String
        var content: String
        var subject: String?
        var senderDid: String
        var comment: String?
    }

    /// Output of `com.atproto.admin.sendEmail`.
    struct SendEmailOutput: ResponseEncodable {
        var sent: Bool
    }

    /// `com.atproto.admin.sendEmail` (admin): mails `content` (HTML) to the account through the moderation mailer
    /// (`PDS_MODERATION_EMAIL_*`), subject "Message via your PDS" unless given. A refused send fails with a 500, as
    /// the reference.
    func sendEmail(_ request: Request) async throws -> SendEmailOutput {
        try auth.admin(request)
        let input = try await XRPCBody.decode(SendEmailInput.self, from: request)
        guard let did = try? DID(input.recipientDid), let account = try await serviceDB.account(did: did) else {
            throw XRPCError.invalidRequest("Recipient not found")
        }
        guard let email = account.email else {
            throw XRPCError.invalidRequest("account does not have an email address")
        }
        try await moderationMailer.send(content: input.content, subject: input.subject, to: email)
        return SendEmailOutput(sent: true)
    }
}
