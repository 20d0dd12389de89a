import ATCore

/// Errors from the sequencer and firehose encoding.
package enum SequencerError: Error, Equatable, Sendable {
    /// A subscription frame could not be parsed.
    case invalidFrame(String)
    /// A stored event could not be decoded.
    case invalidEvent(String)
    /// `subscribeRepos` was asked for a cursor above the current sequence number.
    case futureCursor
    /// A subscriber fell more than its buffer behind the live stream and was disconnected.
    case consumerTooSlow
    /// The account's events are refused until a reconcile announces its repo: an earlier event of it could not be
    /// sequenced, and sequencing later ones on top would leave a gap in its firehose history.
    case held(DID)

    /// The error frame that ends a subscription for this error, when it is one the lexicon names
    /// (`FutureCursor`, `ConsumerTooSlow`); `nil` for internal errors, which the endpoint reports generically.
    package var subscriptionFrame: SubscriptionFrame? {
        switch self {
        case .futureCursor: .error(name: "FutureCursor", message: "Cursor in the future.")
        case .consumerTooSlow: .error(name: "ConsumerTooSlow", message: "Stream consumer too slow")
        case .invalidFrame, .invalidEvent, .held: nil
        }
    }
}
