import ATCore
import Identity

/// PLC operations: parsing, the submission limits, and for a genesis operation its signature and derived DID. A
/// parsed operation must serialize and parse back to itself.
enum PLCHarness {
    static func run(_ input: [UInt8]) {
        guard let operation = try? PLCOperation(jsonBytes: input) else { return }
        precondition((try? PLCOperation(json: operation.jsonValue)) == operation, "operation does not round-trip")
        _ = operation.cid
        _ = operation.state
        try? PLCValidator.checkIncoming(operation)
        if operation.prev == nil {
            try? PLCValidator.assureValidGenesis(did: operation.derivedDID, operation)
        }
    }
}
