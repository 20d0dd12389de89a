/// Errors from the sequencer and firehose encoding.
package enum SequencerError: Error, Equatable, Sendable {
    case invalidFrame(String)
}
