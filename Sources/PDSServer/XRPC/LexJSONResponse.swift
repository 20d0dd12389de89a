import ATCore
import Hummingbird

/// A JSON response body built from an atproto data-model value (records keep their `$link`/`$bytes` forms).
struct LexJSONResponse: ResponseGenerator {
    var value: LexValue

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes)))
    }
}
