import ATCore
import Crypto
import Foundation
import Testing

@testable import BlobStore

/// AWS Signature Version 4 against the examples published by AWS: the SigV4 test suite (`get-vanilla`,
/// `get-vanilla-query-order-key-case`, `post-vanilla`, `get-unreserved`), the signing-key derivation example (IAM
/// `ListUsers`), and the S3 "GET object with a range" header-authentication example.
@Suite struct BlobSigV4Tests {
    static let suiteCredentials = AWSSigV4.Credentials(
        accessKeyID: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    static let suiteDate = "20150830T123600Z"
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path: String
        var query: [(name: String, value: String)]
        var canonicalRequest: String
        var canonicalRequestHash: String
        var signature: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "get-vanilla",
            method: "GET",
            path: "/",
            query: [],
            canonicalRequest:
                "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            canonicalRequestHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        ),
        Vector(
            name: "get-vanilla-query-order-key-case",
            method: "GET",
            path: "/",
            query: [("Param2", "value2"), ("Param1", "value1")],
            canonicalRequest:
                "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                + "host;x-amz-date\n\(emptyHash)",
            canonicalRequestHash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
    ]

    @Test(arguments: vectors)
    func testSuiteVector(_ vector: Vector) {
        let signer = AWSSigV4(credentials: Self.suiteCredentials, region: "us-east-1", service: "service")
        let request = AWSSigV4.Request(
            method: vector.method,
            path: vector.path,
            query: vector.query,
            headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", Self.suiteDate)],
            payload: .empty
        )
        let (canonical, signedHeaders) = AWSSigV4.canonicalRequest(request)
        #expect(canonical == vector.canonicalRequest)
        #expect(signedHeaders == "host;x-amz-date")
        #expect(
            signer.stringToSign(canonicalRequest: canonical, amzDate: Self.suiteDate)
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + vector.canonicalRequestHash
        )
        #expect(
            signer.authorization(request, amzDate: Self.suiteDate)
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=\(vector.signature)"
        )
    }

    @Test(arguments: [
        ("POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),  // post-vanilla
        (
            "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
        ),  // get-unreserved
    ])
    func moreSuiteSignatures(method: String, path: String, signature: String) {
        let signer = AWSSigV4(credentials: Self.suiteCredentials, region: "us-east-1", service: "service")
        let request = AWSSigV4.Request(
            method: method,
            path: AWSSigV4.encodePath(path),
            headers: [("host", "example.amazonaws.com"), ("x-amz-date", Self.suiteDate)],
            payload: .empty
        )
        #expect(signer.authorization(request, amzDate: Self.suiteDate).hasSuffix("Signature=\(signature)"))
    }

    /// The documentation's signing-key derivation example (IAM `ListUsers`, a GET with a query).
    @Test func signingKeyDerivationAndListUsersExample() {
        let key = AWSSigV4.signingKey(
            secretAccessKey: Self.suiteCredentials.secretAccessKey,
            dateStamp: "20150830",
            region: "us-east-1",
            service: "iam"
        )
        #expect(
            key.withUnsafeBytes { Hex.encode($0) }
                == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        )
        let signer = AWSSigV4(credentials: Self.suiteCredentials, region: "us-east-1", service: "iam")
        let request = AWSSigV4.Request(
            method: "GET",
            path: "/",
            query: [("Action", "ListUsers"), ("Version", "2010-05-08")],
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                ("Host", "iam.amazonaws.com"), ("X-Amz-Date", Self.suiteDate),
            ],
            payload: .empty
        )
        let (canonical, _) = AWSSigV4.canonicalRequest(request)
        let stringToSign = signer.stringToSign(canonicalRequest: canonical, amzDate: Self.suiteDate)
        #expect(stringToSign.hasSuffix("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"))
        #expect(
            AWSSigV4.signature(of: stringToSign, key: key)
                == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        )
    }

    /// The S3 documentation's "GET Object" example (a `Range` header, `x-amz-content-sha256`).
    @Test func s3GetObjectExample() throws {
        let signer = AWSSigV4(
            credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1",
            service: "s3"
        )
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        #expect(AWSSigV4.amzDate(date) == "20130524T000000Z")
        let request = AWSSigV4.Request(
            method: "GET",
            path: "/test.txt",
            headers: [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9")],
            payload: .empty
        )
        let headers = signer.sign(request, date: date)
        let value = { (name: String) in headers.first { $0.name == name }?.value }
        #expect(value("x-amz-date") == "20130524T000000Z")
        #expect(value("x-amz-content-sha256") == Self.emptyHash)
        #expect(
            value("authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func unsignedPayloadAndSessionToken() {
        let signer = AWSSigV4(
            credentials: .init(accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "TOKEN"),
            region: "eu-west-1",
            service: "s3"
        )
        let request = AWSSigV4.Request(method: "PUT", path: "/k", headers: [("host", "b.example")], payload: .unsigned)
        let headers = signer.sign(request, date: Date(timeIntervalSince1970: 0))
        let value = { (name: String) in headers.first { $0.name == name }?.value }
        #expect(value("x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
        #expect(value("x-amz-security-token") == "TOKEN")
        #expect(value("x-amz-date") == "19700101T000000Z")
        #expect(
            value("authorization")?.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
                == true
        )
    }

    @Test func encoding() {
        #expect(AWSSigV4.encode("did:plc:abc") == "did%3Aplc%3Aabc")
        #expect(AWSSigV4.encode("a b+c/é") == "a%20b%2Bc%2F%C3%A9")
        #expect(AWSSigV4.encodePath("/bucket/blocks/did:web:x%3A1/b") == "/bucket/blocks/did%3Aweb%3Ax%253A1/b")
        #expect(AWSSigV4.canonicalQuery([("uploads", "")]) == "uploads=")
        #expect(AWSSigV4.amzDate(Date(timeIntervalSince1970: 951_825_599)) == "20000229T115959Z")
    }
}
