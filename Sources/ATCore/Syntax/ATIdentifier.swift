/// An account identifier as used in AT URIs and XRPC parameters: either a DID or a handle.
///
/// A string starting with `did:` must be a valid DID; anything else must be a valid handle.
package enum ATIdentifier: ValidatedString, Comparable {
    /// A DID.
    case did(DID)
    /// A handle (lowercased).
    case handle(Handle)

    /// Parses a DID or handle.
    ///
    /// - Parameters:
    ///   - string: For example `did:plc:7iza6de2dwap2sbkpav7c6c6` or `alice.bsky.social`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        if string.hasPrefix("did:") {
            do { self = .did(try DID(string)) } catch { throw .invalidATIdentifier(error.reason) }
        } else {
            do { self = .handle(try Handle(string)) } catch { throw .invalidATIdentifier(error.reason) }
        }
    }

    /// The DID or (lowercased) handle string.
    package var rawValue: String {
        switch self {
        case .did(let did): did.rawValue
        case .handle(let handle): handle.rawValue
        }
    }

    /// The DID, if this is one.
    package var did: DID? {
        if case .did(let did) = self { did } else { nil }
    }

    /// The handle, if this is one.
    package var handle: Handle? {
        if case .handle(let handle) = self { handle } else { nil }
    }

    /// Orders identifiers by their raw string.
    package static func < (lhs: ATIdentifier, rhs: ATIdentifier) -> Bool { lhs.rawValue < rhs.rawValue }
}
