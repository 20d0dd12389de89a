import BlobStore
import Foundation
import Identity
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
        #expect(configuration.storage.maxConcurrentBackfills == 4)
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
        ("PDS_RATE_LIMITS_ENABLED", "true"),
        ("PDS_RATE_LIMIT_BYPASS_KEY", "bypass-secret"),
        ("PDS_RATE_LIMIT_BYPASS_IPS", "198.51.100.7/32,2001:db8::/32"),
        ("PDS_TRUSTED_PROXIES", "192.0.2.1/32"),
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
            case "PDS_RATE_LIMITS_ENABLED": String(configuration.rateLimits.enabled)
            case "PDS_RATE_LIMIT_BYPASS_KEY": configuration.rateLimits.bypassKey ?? ""
            case "PDS_RATE_LIMIT_BYPASS_IPS": configuration.rateLimits.bypassIPs.map(\.description).joined(separator: ",")
            case "PDS_TRUSTED_PROXIES": configuration.http.trustedProxies.map(\.description).joined(separator: ",")
            default: ""
            }
        #expect(observed == value)
    }

    @Test func booleansFollowTheReferenceRules() throws {
        #expect(try PDSConfiguration.fromEnvironment(["PDS_INVITE_REQUIRED": "0"]).invites.required == false)
        #expect(try PDSConfiguration.fromEnvironment(["PDS_INVITE_REQUIRED": "no"]).invites.required == true)
    }

    @Test func maxConcurrentBackfillsIsReadAndMustBePositive() throws {
        let configuration = try PDSConfiguration.fromEnvironment(["PDS_MAX_CONCURRENT_BACKFILLS": "2"])
        #expect(configuration.storage.maxConcurrentBackfills == 2)
        #expect {
            try PDSConfiguration.fromEnvironment(["PDS_MAX_CONCURRENT_BACKFILLS": "0"])
        } throws: { error in
            (error as? PDSConfigurationError)?.description.contains("PDS_MAX_CONCURRENT_BACKFILLS") == true
        }
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

    @Test func devHostOverridesAreDevModeOnly() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_DEV_MODE": "true", "PDS_DEV_HOST_OVERRIDES": "Ext.Example.com=127.0.0.1:8443, b.example=::1:9",
            "PDS_DEV_EXTRA_CA_FILE": "/tmp/ca.pem",
        ])
        #expect(configuration.identity.devHostOverrides == [
            "ext.example.com": .init(address: "127.0.0.1", port: 8443), "b.example": .init(address: "::1", port: 9),
        ])
        #expect(configuration.identity.devExtraCAFile == "/tmp/ca.pem")
        for environment in [
            ["PDS_DEV_HOST_OVERRIDES": "ext.example.com=127.0.0.1:8443"], ["PDS_DEV_EXTRA_CA_FILE": "/tmp/ca.pem"],
            ["PDS_DEV_MODE": "true", "PDS_DEV_HOST_OVERRIDES": "ext.example.com=not-an-ip:8443"],
            ["PDS_DEV_MODE": "true", "PDS_DEV_HOST_OVERRIDES": "ext.example.com=127.0.0.1"],
        ] {
            #expect(throws: PDSConfigurationError.self, "\(environment)") {
                try PDSConfiguration.fromEnvironment(environment)
            }
        }
    }

    @Test(arguments: [
        ("PDS_BLOBSTORE_DISK_LOCATION", "/srv/blocks"), ("PDS_BLOBSTORE_DISK_TMP_LOCATION", "/srv/tmp"),
    ])
    func readsDiskBlobstoreVariables(name: String, value: String) throws {
        var environment = ["PDS_BLOBSTORE_DISK_LOCATION": "/srv/blocks"]
        environment[name] = value
        let configuration = try PDSConfiguration.fromEnvironment(environment)
        guard case .disk(let locations) = try configuration.resolvingBlobstore().backend else {
            Issue.record("expected the disk blobstore")
            return
        }
        let observed = name == "PDS_BLOBSTORE_DISK_LOCATION" ? locations.location.path : locations.tempLocation.path
        #expect(observed == value)
    }

    @Test func readsS3BlobstoreVariables() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_BLOBSTORE_S3_BUCKET": "bucket", "PDS_BLOBSTORE_S3_REGION": "eu-west-1",
            "PDS_BLOBSTORE_S3_ENDPOINT": "http://127.0.0.1:9000", "PDS_BLOBSTORE_S3_FORCE_PATH_STYLE": "true",
            "PDS_BLOBSTORE_S3_ACCESS_KEY_ID": "id", "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY": "secret",
            "PDS_BLOBSTORE_S3_UPLOAD_TIMEOUT_MS": "1234", "PDS_BLOBSTORE_S3_REQUEST_TIMEOUT_MS": "567",
            "PDS_BLOB_UPLOAD_LIMIT": "42",
        ])
        let store = try configuration.resolvingBlobstore()
        #expect(store.uploadLimit == 42)
        guard case .s3(let s3) = store.backend else {
            Issue.record("expected the S3 blobstore")
            return
        }
        #expect(s3.bucket == "bucket" && s3.region == "eu-west-1" && s3.endpoint == "http://127.0.0.1:9000")
        #expect(s3.forcePathStyle && s3.credentials.accessKeyID == "id" && s3.credentials.secretAccessKey == "secret")
        #expect(s3.uploadTimeout == .milliseconds(1234) && s3.requestTimeout == .milliseconds(567))
    }

    @Test func s3CredentialsFallBackToAWSVariables() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_BLOBSTORE_S3_BUCKET": "bucket", "AWS_REGION": "us-east-2", "AWS_ACCESS_KEY_ID": "aws-id",
            "AWS_SECRET_ACCESS_KEY": "aws-secret",
        ])
        guard case .s3(let s3) = try configuration.resolvingBlobstore().backend else {
            Issue.record("expected the S3 blobstore")
            return
        }
        #expect(s3.region == "us-east-2" && s3.credentials.accessKeyID == "aws-id")
    }

    @Test func devModeDefaultsToTheDiskBlobstoreInTheDataDirectory() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_DEV_MODE": "true", "PDS_DATA_DIRECTORY": "/tmp/pds-data",
        ])
        guard case .disk(let locations) = try configuration.resolvingBlobstore().backend else {
            Issue.record("expected the disk blobstore")
            return
        }
        #expect(locations.location.path == "/tmp/pds-data/blocks")
        #expect(locations.tempLocation.path == "/tmp/pds-data/blocks/tempt")
        #expect(configuration.blobs.tempGCGracePeriodMs == 86_400_000)
        #expect(configuration.blobs.tempGCIntervalMs == 3_600_000)
    }

    @Test func outsideDevModeABlobstoreIsRequired() throws {
        let configuration = try PDSConfiguration.fromEnvironment(["PDS_HOSTNAME": "pds.example.com"])
        #expect {
            try configuration.resolvingBlobstore()
        } throws: { error in
            (error as? PDSConfigurationError)?.description.contains("PDS_BLOBSTORE_DISK_LOCATION") == true
        }
    }

    @Test func invalidBlobSettingsAreNamed() {
        #expect {
            try PDSConfiguration.fromEnvironment([
                "PDS_BLOBSTORE_DISK_LOCATION": "/a", "PDS_BLOBSTORE_S3_BUCKET": "b",
                "PDS_BLOB_TEMP_GC_GRACE_MS": "0", "PDS_BLOB_TEMP_GC_INTERVAL_MS": "soon",
            ])
        } throws: { error in
            guard let error = error as? PDSConfigurationError else { return false }
            return error.problems.count == 3 && error.description.contains("PDS_BLOBSTORE_S3_BUCKET")
                && error.description.contains("PDS_BLOB_TEMP_GC_GRACE_MS")
                && error.description.contains("PDS_BLOB_TEMP_GC_INTERVAL_MS")
        }
        #expect(throws: PDSConfigurationError.self) {
            try PDSConfiguration.fromEnvironment([
                "PDS_BLOBSTORE_S3_BUCKET": "b", "PDS_BLOBSTORE_S3_REGION": "r", "PDS_BLOBSTORE_S3_ACCESS_KEY_ID": "id",
            ])
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

/// `PDS_EMAIL_*` and `PDS_MODERATION_EMAIL_*`.
@Suite struct EmailConfigurationTests {
    @Test func readsTheReferenceNames() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_EMAIL_SMTP_URL": "smtps://u:p@smtp.example.com", "PDS_EMAIL_FROM_ADDRESS": "noreply@example.com",
            "PDS_EMAIL_DISABLE_CONFIRMATION_LINK": "true",
            "PDS_MODERATION_EMAIL_SMTP_URL": "smtp://mod.example.com:2525",
            "PDS_MODERATION_EMAIL_ADDRESS": "mod@example.com",
        ])
        let email = configuration.email
        #expect(email.smtpURL == "smtps://u:p@smtp.example.com")
        #expect(email.fromAddress == "noreply@example.com")
        #expect(email.disableConfirmationLink)
        #expect(email.moderationSMTPURL == "smtp://mod.example.com:2525")
        #expect(email.moderationAddress == "mod@example.com")
        let defaults = try PDSConfiguration.fromEnvironment([:]).email
        #expect(defaults.smtpURL == nil && defaults.fromAddress == nil && !defaults.disableConfirmationLink)
    }

    @Test func pairsAreSetTogetherAndURLsAreSMTP() {
        #expect {
            try PDSConfiguration.fromEnvironment([
                "PDS_EMAIL_SMTP_URL": "smtp://smtp.example.com", "PDS_MODERATION_EMAIL_ADDRESS": "mod@example.com",
                "PDS_MODERATION_EMAIL_SMTP_URL": "https://u:secret@mod.example.com",
            ])
        } throws: { error in
            let problems = (error as? PDSConfigurationError)?.problems ?? []
            return problems.count == 2
                && problems.contains { $0.contains("PDS_EMAIL_SMTP_URL and PDS_EMAIL_FROM_ADDRESS") }
                && problems.contains { $0.contains("PDS_MODERATION_EMAIL_SMTP_URL") && !$0.contains("secret") }
        }
    }
}
