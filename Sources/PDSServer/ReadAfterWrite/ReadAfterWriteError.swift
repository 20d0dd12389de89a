/// Why munging an AppView answer failed; the answer is then forwarded as it came (the reference logs and does the
/// same), so none of these reaches a client.
package enum ReadAfterWriteError: Error, Sendable {
    /// A local record lacks what its view needs (a blob reference, an embedded record's URI).
    case malformedRecord(String)
    /// The upstream answer is not the method's output (not JSON, or not valid against its lexicon).
    case invalidUpstreamOutput(lxm: String, cause: (any Error)?)
}
