import Hummingbird

extension ComAtprotoServer {
    /// Output of `com.atproto.server.describeServer`.
    struct DescribeServerOutput: ResponseEncodable, Equatable {
        struct Links: Codable, Equatable {
            var privacyPolicy: String?
            var termsOfService: String?
        }
        struct Contact: Codable, Equatable {
            var email: String?
        }
        var did: String
        var availableUserDomains: [String]
        var inviteCodeRequired: Bool
        var phoneVerificationRequired: Bool
        var blobUploadLimit: Int
        var links: Links
        var contact: Contact
    }

    /// `com.atproto.server.describeServer`: the server's DID, handle domains, invite policy and links.
    func describeServer() -> DescribeServerOutput {
        DescribeServerOutput(
            did: service.did,
            availableUserDomains: identity.serviceHandleDomains,
            inviteCodeRequired: invites.required,
            phoneVerificationRequired: false,
            blobUploadLimit: service.blobUploadLimit,
            links: .init(
                privacyPolicy: service.privacyPolicyURL,
                termsOfService: service.termsOfServiceURL
            ),
            contact: .init(email: service.contactEmailAddress)
        )
    }
}
