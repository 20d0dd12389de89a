import Testing

@testable import PDSServer

@Suite struct PDSConfigurationTests {
    @Test func defaultsMatchTheReference() throws {
        let configuration = try PDSConfiguration.fromEnvironment([:])
        #expect(configuration.service.port == 2583)
        #expect(configuration.service.hostname == "localhost")
        #expect(configuration.service.publicURL == "http://localhost:2583")
        #expect(configuration.service.did == "did:web:localhost")
        #expect(configuration.identity.serviceHandleDomains == [".test"])
        #expect(configuration.invites.required == true)
        #expect(configuration.service.blobUploadLimit == 5_242_880)
        #expect(configuration.service.devMode == false)
        #expect(configuration.storage.maxSubscriptionBuffer == 500)
        #expect(configuration.service.crawlers.isEmpty)
    }

    @Test(arguments: [
        ("PDS_PORT", "1234"),
        ("PDS_HOSTNAME", "pds.example.com"),
        ("PDS_SERVICE_DID", "did:web:other.example"),
        ("PDS_DATA_DIRECTORY", "/var/pds"),
        ("PDS_BLOB_UPLOAD_LIMIT", "104857600"),
        ("PDS_SERVICE_HANDLE_DOMAINS", ".a.example,.b.example"),
        ("PDS_INVITE_REQUIRED", "false"),
        ("PDS_DEV_MODE", "true"),
        ("PDS_VERSION", "1.2.3"),
        ("PDS_CONTACT_EMAIL_ADDRESS", "x@example.com"),
        ("PDS_MAX_SUBSCRIPTION_BUFFER", "42"),
        ("PDS_CRAWLERS", "https://bsky.network,http://relay.local:2470"),
    ])
    func readsReferenceVariableNames(name: String, value: String) throws {
        let configuration = try PDSConfiguration.fromEnvironment([name: value])
        let observed: String =
            switch name {
            case "PDS_PORT": String(configuration.service.port)
            case "PDS_HOSTNAME": configuration.service.hostname
            case "PDS_SERVICE_DID": configuration.service.did
            case "PDS_DATA_DIRECTORY": configuration.storage.dataDirectory
            case "PDS_BLOB_UPLOAD_LIMIT": String(configuration.service.blobUploadLimit)
            case "PDS_SERVICE_HANDLE_DOMAINS": configuration.identity.serviceHandleDomains.joined(separator: ",")
            case "PDS_INVITE_REQUIRED": String(configuration.invites.required)
            case "PDS_DEV_MODE": String(configuration.service.devMode)
            case "PDS_VERSION": configuration.service.version
            case "PDS_CONTACT_EMAIL_ADDRESS": configuration.service.contactEmailAddress ?? ""
            case "PDS_MAX_SUBSCRIPTION_BUFFER": String(configuration.storage.maxSubscriptionBuffer)
            case "PDS_CRAWLERS": configuration.service.crawlers.joined(separator: ",")
            default: ""
            }
        #expect(observed == value)
    }

    @Test func booleansFollowTheReferenceRules() throws {
        #expect(try PDSConfiguration.fromEnvironment(["PDS_INVITE_REQUIRED": "0"]).invites.required == false)
        #expect(try PDSConfiguration.fromEnvironment(["PDS_INVITE_REQUIRED": "no"]).invites.required == true)
    }

    @Test func invalidSettingsAreAllNamed() {
        #expect {
            try PDSConfiguration.fromEnvironment([
                "PDS_PORT": "eighty", "PDS_SERVICE_HANDLE_DOMAINS": "example.com", "PDS_BLOB_UPLOAD_LIMIT": "-1",
            ])
        } throws: { error in
            guard let error = error as? PDSConfigurationError else { return false }
            return error.problems.count == 3 && error.description.contains("PDS_PORT")
                && error.description.contains("PDS_SERVICE_HANDLE_DOMAINS")
                && error.description.contains("PDS_BLOB_UPLOAD_LIMIT")
        }
    }

    @Test func crawlersAreAListOfHTTPURLs() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_CRAWLERS": " https://bsky.network/ ,, http://127.0.0.1:8080 "
        ])
        #expect(configuration.service.crawlers == ["https://bsky.network", "http://127.0.0.1:8080"])
        #expect(try PDSConfiguration.fromEnvironment(["PDS_CRAWLERS": ""]).service.crawlers.isEmpty)
        #expect {
            try PDSConfiguration.fromEnvironment(["PDS_CRAWLERS": "https://bsky.network,bsky.network,ftp://x"])
        } throws: { error in
            guard let error = error as? PDSConfigurationError else { return false }
            return error.problems.count == 2 && error.problems.allSatisfy { $0.contains("PDS_CRAWLERS") }
        }
    }
}
