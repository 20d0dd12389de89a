import ATCore
import Testing

@testable import PDSServer

@Suite struct XRPCParametersTests {
    let params = XRPCParameters([
        ("repo", "did:plc:abcdefghijklmnopqrstuvwx"), ("limit", "50"), ("reverse", "true"), ("cids", "a"),
        ("cids", "b"), ("bad", "x y"),
    ])

    @Test func readsValues() throws {
        #expect(try params.require("repo") == "did:plc:abcdefghijklmnopqrstuvwx")
        #expect(try params.parseRequired("repo", { try DID($0) }).rawValue == "did:plc:abcdefghijklmnopqrstuvwx")
        #expect(try params.integer("limit", default: 10, range: 1...100) == 50)
        #expect(try params.integer("missing", default: 10, range: 1...100) == 10)
        #expect(try params.boolean("reverse") == true)
        #expect(params.strings("cids") == ["a", "b"])
    }

    @Test func errorsNameTheParameter() {
        #expect(throws: XRPCError.invalidRequest("Error: Params must have the property \"collection\"")) {
            try params.require("collection")
        }
        #expect(throws: XRPCError.invalidRequest("Error: limit can not be greater than 10")) {
            try params.integer("limit", default: 1, range: 1...10)
        }
        #expect(throws: XRPCError.invalidRequest("Error: bad must be valid: x y")) { try params.parse("bad", { try DID($0) }) }
        #expect(throws: XRPCError.invalidRequest("Error: repo must be a boolean")) { try params.boolean("repo") }
    }
}
