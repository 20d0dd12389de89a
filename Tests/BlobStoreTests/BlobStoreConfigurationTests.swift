import Foundation
import Testing

@testable import BlobStore

@Suite struct BlobStoreConfigurationTests {
    @Test func disk() throws {
        let config = try BlobStoreConfiguration(environment: [
            "PDS_BLOBSTORE_DISK_LOCATION": "/data/blocks", "PDS_BLOB_UPLOAD_LIMIT": "104857600",
        ])
        #expect(config.uploadLimit == 104_857_600)
        guard case .disk(let locations) = config.backend else {
            Issue.record("expected disk")
            return
        }
        #expect(locations.location.path == "/data/blocks")
        #expect(locations.tempLocation.path == "/data/blocks/tempt")
        #expect(locations.quarantineLocation.path == "/data/blocks/quarantine")
        let withTemp = try BlobStoreConfiguration(environment: [
            "PDS_BLOBSTORE_DISK_LOCATION": "/data/blocks", "PDS_BLOBSTORE_DISK_TMP_LOCATION": "/tmp/pds",
        ])
        #expect(
            withTemp.backend
                == .disk(
                    .init(
                        location: URL(fileURLWithPath: "/data/blocks", isDirectory: true),
                        tempLocation: URL(fileURLWithPath: "/tmp/pds", isDirectory: true))))
        #expect(withTemp.uploadLimit == 5_242_880)
    }

    @Test func s3() throws {
        let config = try BlobStoreConfiguration(environment: [
            "PDS_BLOBSTORE_S3_BUCKET": "blobs",
            "PDS_BLOBSTORE_S3_REGION": "eu-west-3",
            "PDS_BLOBSTORE_S3_ENDPOINT": "http://127.0.0.1:9000",
            "PDS_BLOBSTORE_S3_FORCE_PATH_STYLE": "true",
            "PDS_BLOBSTORE_S3_ACCESS_KEY_ID": "id",
            "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY": "secret",
            "PDS_BLOBSTORE_S3_UPLOAD_TIMEOUT_MS": "30000",
            "AWS_ACCESS_KEY_ID": "ignored",
            "AWS_SECRET_ACCESS_KEY": "ignored",
        ])
        guard case .s3(let s3) = config.backend else {
            Issue.record("expected s3")
            return
        }
        #expect(s3.bucket == "blobs" && s3.region == "eu-west-3" && s3.forcePathStyle)
        #expect(s3.endpoint == "http://127.0.0.1:9000")
        #expect(s3.credentials == .init(accessKeyID: "id", secretAccessKey: "secret"))
        #expect(s3.uploadTimeout == .seconds(30))
        #expect(s3.requestTimeout == .seconds(15))
    }

    @Test func s3FromAWSEnvironmentAndDefaults() throws {
        let config = try BlobStoreConfiguration(environment: [
            "PDS_BLOBSTORE_S3_BUCKET": "blobs", "AWS_REGION": "us-east-2",
            "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_SESSION_TOKEN": "t",
            "PDS_BLOBSTORE_S3_UPLOAD_TIMEOUT_MS": "1000",
        ])
        guard case .s3(let s3) = config.backend else {
            Issue.record("expected s3")
            return
        }
        #expect(s3.credentials == .init(accessKeyID: "a", secretAccessKey: "b", sessionToken: "t"))
        #expect(s3.region == "us-east-2" && !s3.forcePathStyle && s3.endpoint == nil)
        #expect(s3.requestTimeout == .seconds(6))  // max(min(1 s, 15 s), 6 s)
    }

    @Test(arguments: [
        ([:], BlobStoreConfiguration.Error.noBlobstore),
        (["PDS_BLOBSTORE_DISK_LOCATION": "/d", "PDS_BLOBSTORE_S3_BUCKET": "b"], .bothBlobstores),
        (
            ["PDS_BLOBSTORE_S3_BUCKET": "b", "PDS_BLOBSTORE_S3_REGION": "r", "PDS_BLOBSTORE_S3_ACCESS_KEY_ID": "x"],
            .partialCredentials
        ),
        (["PDS_BLOBSTORE_S3_BUCKET": "b", "PDS_BLOBSTORE_S3_REGION": "r"], .missingCredentials),
        (["PDS_BLOBSTORE_S3_BUCKET": "b", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"], .missingRegion),
        (["PDS_BLOBSTORE_DISK_LOCATION": "/d", "PDS_BLOB_UPLOAD_LIMIT": "lots"], .invalidValue(variable: "PDS_BLOB_UPLOAD_LIMIT")),
        (
            [
                "PDS_BLOBSTORE_S3_BUCKET": "b", "PDS_BLOBSTORE_S3_REGION": "r", "AWS_ACCESS_KEY_ID": "a",
                "AWS_SECRET_ACCESS_KEY": "b", "PDS_BLOBSTORE_S3_ENDPOINT": "ftp://x",
            ],
            .invalidValue(variable: "PDS_BLOBSTORE_S3_ENDPOINT")
        ),
    ])
    func errors(_ environment: [String: String], _ expected: BlobStoreConfiguration.Error) {
        #expect(throws: expected) { try BlobStoreConfiguration(environment: environment) }
    }
}
