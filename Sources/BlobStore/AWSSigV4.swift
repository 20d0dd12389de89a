import ATCore
import Crypto
import Foundation

/// AWS Signature Version 4 request signing (header form), as specified in the AWS "Create a signed AWS API request"
/// documentation: canonical request → string to sign → derived signing key → `Authorization` header.
package struct AWSSigV4: Sendable {
    /// An access key.
    package struct Credentials: Sendable, Equatable {
        /// The access key ID.
        package var accessKeyID: String
        /// The secret access key.
        package var secretAccessKey: String
        /// A session token for temporary credentials (`x-amz-security-token`).
        package var sessionToken: String?

        /// Credentials.
        /// - Parameters:
        ///   - accessKeyID: the key ID.
        ///   - secretAccessKey: the secret.
        ///   - sessionToken: the session token of temporary credentials.
        package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// What the signature says about the body.
    package enum Payload: Sendable, Equatable {
        /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (S3 only).
        case unsigned
        /// The lowercase hex SHA-256 of the body.
        case sha256(String)

        /// The payload hash of `bytes`.
        /// - Parameters:
        ///   - bytes: the body.
        package static func hashing(_ bytes: some Collection<UInt8>) -> Payload { .sha256(Hex.encode(ATCore.sha256(bytes))) }

        /// The empty body's hash.
        package static let empty = hashing([UInt8]())

        /// The value used in the canonical request and `x-amz-content-sha256`.
        package var value: String {
            switch self {
            case .unsigned: "UNSIGNED-PAYLOAD"
            case .sha256(let hex): hex
            }
        }
    }

    /// A request to sign. `path` is the canonical URI: already percent-encoded (see ``encodePath(_:)``).
    package struct Request: Sendable {
        /// The HTTP method.
        package var method: String
        /// The encoded absolute path, for example `/bucket/blocks/did%3Aplc%3Aabc/bafy…`.
        package var path: String
        /// Unencoded query parameters.
        package var query: [(name: String, value: String)]
        /// Headers to sign (must include `host`).
        package var headers: [(name: String, value: String)]
        /// The body's hash or `UNSIGNED-PAYLOAD`.
        package var payload: Payload

        /// A request.
        /// - Parameters:
        ///   - method: the HTTP method.
        ///   - path: the encoded path.
        ///   - query: the query parameters, unencoded.
        ///   - headers: headers to sign.
        ///   - payload: the body's hash.
        package init(
            method: String,
            path: String,
            query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)],
            payload: Payload
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payload = payload
        }
    }

    /// The credentials.
    package let credentials: Credentials
    /// The region, for example `us-east-1`.
    package let region: String
    /// The service, `s3` here.
    package let service: String

    /// A signer.
    /// - Parameters:
    ///   - credentials: the access key.
    ///   - region: the region.
    ///   - service: the service name.
    package init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    // MARK: - Steps

    /// The canonical request and its signed-headers list.
    /// - Parameters:
    ///   - request: the request.
    package static func canonicalRequest(_ request: Request) -> (canonical: String, signedHeaders: String) {
        var headers: [String: [String]] = [:]
        for (name, value) in request.headers {
            headers[name.lowercased(), default: []].append(normalizeHeaderValue(value))
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonical = [
            request.method,
            request.path.isEmpty ? "/" : request.path,
            canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            request.payload.value,
        ].joined(separator: "\n")
        return (canonical, signedHeaders)
    }

    /// The canonical query string: each name and value encoded, sorted by name then value, joined with `&`.
    /// - Parameters:
    ///   - query: unencoded parameters.
    package static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (encode($0.name), encode($0.value)) }
        let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { pair -> String in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// The credential scope, `<date>/<region>/<service>/aws4_request`.
    /// - Parameters:
    ///   - dateStamp: `YYYYMMDD`.
    package func scope(dateStamp: String) -> String { "\(dateStamp)/\(region)/\(service)/aws4_request" }

    /// The string to sign.
    /// - Parameters:
    ///   - canonicalRequest: the canonical request.
    ///   - amzDate: `YYYYMMDD'T'HHMMSS'Z'`.
    package func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        [
            "AWS4-HMAC-SHA256",
            amzDate,
            scope(dateStamp: String(amzDate.prefix(8))),
            Hex.encode(ATCore.sha256(Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
    }

    /// The derived signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    /// - Parameters:
    ///   - secretAccessKey: the secret.
    ///   - dateStamp: `YYYYMMDD`.
    ///   - region: the region.
    ///   - service: the service.
    package static func signingKey(secretAccessKey: String, dateStamp: String, region: String, service: String)
        -> SymmetricKey
    {
        var key = SymmetricKey(data: Array(("AWS4" + secretAccessKey).utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// The hex signature of a string to sign.
    /// - Parameters:
    ///   - stringToSign: the string to sign.
    ///   - key: the derived signing key.
    package static func signature(of stringToSign: String, key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    // MARK: - Signing

    /// Signs a request: returns the headers to add (`x-amz-date`, `x-amz-content-sha256` for S3,
    /// `x-amz-security-token` with a session token, and `authorization`).
    /// - Parameters:
    ///   - request: the request; its headers must include `host`.
    ///   - date: the signing time.
    package func sign(_ request: Request, date: Date) -> [(name: String, value: String)] {
        let amzDate = Self.amzDate(date)
        var added: [(name: String, value: String)] = [("x-amz-date", amzDate)]
        if service == "s3" { added.append(("x-amz-content-sha256", request.payload.value)) }
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var signed = request
        signed.headers += added
        added.append(("authorization", authorization(signed, amzDate: amzDate)))
        return added
    }

    /// The `Authorization` header value of a request whose headers already hold `x-amz-date` (and anything else
    /// to sign).
    /// - Parameters:
    ///   - request: the request.
    ///   - amzDate: the `x-amz-date` value.
    package func authorization(_ request: Request, amzDate: String) -> String {
        let (canonical, signedHeaders) = Self.canonicalRequest(request)
        let key = Self.signingKey(
            secretAccessKey: credentials.secretAccessKey,
            dateStamp: String(amzDate.prefix(8)),
            region: region,
            service: service
        )
        let signature = Self.signature(of: stringToSign(canonicalRequest: canonical, amzDate: amzDate), key: key)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(dateStamp: String(amzDate.prefix(8)))), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    // MARK: - Encoding

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    /// - Parameters:
    ///   - date: the time.
    package static func amzDate(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a civil date (proleptic Gregorian), H. Hinnant's algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let s = String(value)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2)
            + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2) + "Z"
    }

    /// Percent-encodes everything but the unreserved characters `A-Z a-z 0-9 - . _ ~` (UTF-8, uppercase hex).
    /// - Parameters:
    ///   - string: the text.
    package static func encode(_ string: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return out
    }

    /// Encodes a path segment by segment, keeping the `/` separators (S3 encodes object keys once).
    /// - Parameters:
    ///   - path: an unencoded absolute path.
    package static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encode($0) }.joined(separator: "/")
    }

    private static func normalizeHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
