import ATCore
import Foundation
import Identity

// The PLC identity builders (`PLCFixture`, `Keypair.signedGenesis`…) and `withTemporaryPath`, for every file here.
@_exported import IdentityTestSupport

extension PLCFixture {
    /// An `/export` line for an operation, as the directory writes it.
    static func line(_ did: DID, _ operation: PLCOperation, at date: Date, cid: String? = nil) -> String {
        var json = PLCLogEntry(did: did, operation: operation, cid: operation.cid, nullified: false, createdAt: date)
            .jsonValue
        if let cid, case .object(var members) = json {
            members["cid"] = .string(cid)
            json = .object(members)
        }
        return json.serializedString
    }
}
