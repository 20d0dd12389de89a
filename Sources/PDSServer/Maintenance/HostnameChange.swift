import ATCore
import ATCrypto
import Identity
import Sequencer

/// Moves every account of a server to a new hostname (`pds hostname change`): each did:plc gets a PLC operation,
/// signed with the PDS rotation key, that points its `atproto_pds` service at the new URL, and an `#identity` event
/// tells relays and AppViews to re-read it. did:web accounts are listed for their owners to update. Handles are not
/// changed.
package struct HostnameChange: Sendable {
    /// Where did:plc operations go.
    let plcClient: any PLCClient
    /// The PDS's rotation key.
    let plcRotationKey: Secp256k1Keypair
    /// The `#identity` events.
    let sequencer: Sequencer

    /// Creates the change over a server's services.
    package init(services: PDSServices) {
        plcClient = services.plcClient
        plcRotationKey = services.plcRotationKey
        sequencer = services.sequencer
    }

    /// What happens to one account.
    package struct Step: Sendable, Encodable {
        /// What to do.
        package enum Action: String, Sendable, Encodable {
            /// A PLC operation moves its endpoint.
            case update
            /// It already points at the new URL.
            case unchanged
            /// A did:web: its owner must update the document.
            case didWeb = "did:web"
            /// Its PLC state could not be read (see ``Step/problem``).
            case failed
        }

        /// The account.
        package var did: String
        /// Its handle.
        package var handle: String?
        /// The endpoint its DID names now.
        package var from: String?
        /// The endpoint it will name.
        package var to: String
        /// What to do.
        package var action: Action
        /// Why it failed.
        package var problem: String?
    }

    /// The step for one account, without changing anything.
    package func plan(did: DID, handle: Handle?, newEndpoint: String) async -> Step {
        var step = Step(did: did.rawValue, handle: handle?.rawValue, from: nil, to: newEndpoint, action: .update)
        guard did.isPLC else {
            step.action = .didWeb
            return step
        }
        do {
            let last = try await plcClient.getLastOperation(did)
            guard let state = last.state else { throw PLCError.tombstoned }
            step.from = state.services["atproto_pds"]?.endpoint
            if step.from == newEndpoint { step.action = .unchanged }
        } catch {
            step.action = .failed
            step.problem = "\(error)"
        }
        return step
    }

    /// Carries out an `update` step: the PLC operation, then `#identity`. Other steps are returned unchanged.
    package func apply(_ step: Step) async -> Step {
        guard step.action == .update, let did = try? DID(step.did) else { return step }
        var step = step
        do {
            try await plcClient.updatePDSEndpoint(did, endpoint: step.to, signer: plcRotationKey)
            try await sequencer.sequenceIdentity(did: did, handle: step.handle.flatMap { try? Handle($0) })
        } catch {
            step.action = .failed
            step.problem = "\(error)"
        }
        return step
    }

    /// The endpoint for `argument`: a full `http(s)://` URL as given (without a trailing slash), or `https://<host>`.
    package static func endpoint(for argument: String) -> String {
        if argument.hasPrefix("https://") || argument.hasPrefix("http://") {
            return argument.hasSuffix("/") ? String(argument.dropLast()) : argument
        }
        return "https://\(argument)"
    }
}
