import Foundation
import Logging

extension PDSServices {
    /// The live one-account restore over the server's stores (`dev.swiftpds.backup.restoreAccount`).
    package var liveAccountRestore: LiveAccountRestore {
        LiveAccountRestore(
            actorStore: actorStore, serviceDB: serviceDB, sequencer: sequencer, reconciler: reconciler,
            blobstore: blobstore, dataDirectory: URL(fileURLWithPath: configuration.storage.dataDirectory),
            logger: Logger(label: "pds.restore"))
    }
}
