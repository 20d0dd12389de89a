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
            did: configuration.service.did,
            availableUserDomains: configuration.identity.serviceHandleDomains,
            inviteCodeRequired: configuration.invites.required,
            phoneVerificationRequired: false,
            blobUploadLimit: configuration.service.blobUploadLimit,
            links: .init(
                privacyPolicy: configuration.service.privacyPolicyURL,
                termsOfService: configuration.service.termsOfServiceURL
            ),
            contact: .init(email: configuration.service.contactEmailAddress)
        )
    }
}
