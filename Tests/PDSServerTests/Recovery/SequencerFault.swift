import Foundation
import GRDB

@testable import PDSServer

/// A real fault in `sequencer.sqlite`: a trigger, added through a second connection, that aborts every insert into
/// `repo_seq` until ``heal()`` drops it. The server's sequencer sees genuine SQLite errors.
struct SequencerFault {
    let queue: DatabaseQueue

    /// Opens `sequencer.sqlite` beside the server and breaks it.
    init(_ services: PDSServices) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(
            path: services.configuration.storage.sequencerDBLocation, configuration: configuration)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER injected_fault BEFORE INSERT ON repo_seq
                    BEGIN SELECT RAISE(ABORT, 'injected sequencer fault'); END
                    """)
        }
    }

    /// Removes the fault.
    func heal() throws {
        try queue.write { try $0.execute(sql: "DROP TRIGGER injected_fault") }
    }

    /// Deletes every event of `did` (a crash that lost them all, for example during account creation).
    static func deleteEvents(_ services: PDSServices, did: String) throws {
        let queue = try DatabaseQueue(path: services.configuration.storage.sequencerDBLocation)
        try queue.write { try $0.execute(sql: "DELETE FROM repo_seq WHERE did = ?", arguments: [did]) }
    }
}
