import ActorStore
import ATCore
import ATCrypto
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import ServiceDB

/// The headers every authenticated response carries (`Cache-Control: private`, `Vary: Authorization`), as the
/// reference's verifiers set them.
enum AuthHeaders {
    static let fields: HTTPFields = [.cacheControl: "private", HTTPField.Name("Vary")!: "Authorization"]

    /// `output` with the headers.
    static func wrap<T: ResponseGenerator>(_ output: T) -> EditedResponse<T> {
        EditedResponse(headers: fields, response: output)
    }

    /// An empty 200 response with the headers (procedures without output).
    static func empty() -> Response {
        Response(status: .ok, headers: fields)
    }
}
