import ATCore
import Foundation
import Hummingbird
import Identity

/// A directory error response: `{"message": …}` with a status, as the reference directory answers.
struct PLCHTTPError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String

    /// Maps a refusal: not-found cases are 404, everything else about the request is 400.
    init(_ error: PLCError) {
        switch error {
        case .notRegistered, .notAvailable: status = .notFound
        case .directory: status = .badGateway
        default: status = .badRequest
        }
        message = error.description
    }

    init(status: HTTPResponse.Status, message: String) {
        self.status = status
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = JSONValueResponse.object(["message": .string(message)])
        return JSONValueResponse.make(body, status: status)
    }
}

/// JSON responses from `JSONValue` trees.
enum JSONValueResponse {
    static func object(_ members: [String: JSONValue]) -> JSONValue { .object(members) }

    static func make(_ json: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json")
        -> Response
    {
        Response(
            status: status, headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: json.serialized)))
    }
}
