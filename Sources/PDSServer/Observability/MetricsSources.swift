import ActorStore
import Sequencer

/// The state whose gauges ``PDSMetrics/scrape(_:)`` reads when `/metrics` is served.
package struct MetricsSources: Sendable {
    /// The actor stores (handle cache counts).
    package var actorStore: ActorStore?
    /// The sequencer (head seq, firehose subscribers and their lag).
    package var sequencer: Sequencer?

    /// Sources.
    /// - Parameters:
    ///   - actorStore: the actor stores.
    ///   - sequencer: the sequencer.
    package init(actorStore: ActorStore?, sequencer: Sequencer?) {
        self.actorStore = actorStore
        self.sequencer = sequencer
    }
}
