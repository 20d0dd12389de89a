import ATCore
import Lexicon

extension XRPCBody {
    /// Checks a procedure's input against the `input` schema of its embedded lexicon, as the reference's xrpc-server
    /// checks every body before the handler runs. A method with no embedded lexicon or no input schema passes.
    /// - Parameters:
    ///   - value: the body (``lexValue(_:limit:)``).
    ///   - nsid: the procedure.
    /// - Throws: 400 `InvalidRequest` with the validator's message (`Input must have the property "token"`).
    static func validate(_ value: LexValue, input nsid: String) throws {
        guard case .procedure(_, let input?, _)? = KnownLexicons.catalog.document(nsid)?.defs["main"],
            let schema = input.schema
        else { return }
        do {
            try KnownLexicons.validator.validate(value, schema, path: "Input")
        } catch {
            throw XRPCError.invalidRequest(error.description)
        }
    }
}
