/// Errors from the atproto data layer: multibase, varints, CIDs, DAG-CBOR, the data model and CAR files.
package enum DataModelError: Error, Equatable, Sendable {
    case invalidVarint
    case invalidHex
    case invalidMultibase(String)
    case invalidCID(String)
    case invalidCBOR(String)
    case invalidDataModel(String)
    case invalidCAR(String)
    case tooLarge(String)
}
