import HTTPTypes
import Hummingbird
import NIOCore
import PDSServer

/// XRPC query parameters: the input is a request target (`/xrpc/<nsid>?<query>`), parsed into a URI as the server
/// does and checked against the method's lexicon as ``XRPCLexiconMiddleware`` does, then read as handlers read it.
enum XRPCParametersHarness {
    static func run(_ input: [UInt8]) {
        let target = String(decoding: input, as: UTF8.self)
        let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: target)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        _ = try? XRPCParameters.validateQuery(of: request)
        let parameters = XRPCParameters(request)
        _ = try? parameters.integer("limit", default: 50, range: 1...100)
        _ = try? parameters.boolean("includePins")
        _ = parameters.strings("uris")
        _ = try? parameters.require("actor")
    }
}
