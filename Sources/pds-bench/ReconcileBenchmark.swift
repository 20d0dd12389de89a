import ATCore
import ATCrypto
import ATRepo
import ActorStore
import Foundation
import Logging
import PDSServer
import Sequencer
import ServiceDB

/// Measures the start-up reconcile (`RepoReconciler.reconcileAll`) over `RECONCILE_BENCH_ACCOUNTS` accounts (default
/// 1,000), each time with fresh services on the same data directory (a restart: no cached actor handles). Prints one
/// line per figure.
///
/// - `reconcile.clean.c<n>`: every repo already announced, `n` actors checked at once (the normal restart).
/// - `reconcile.lost.c8`: every account has one durable commit whose event was lost, so every account gets a `#sync`.
///
/// Accounts are made directly through the stores (no scrypt, no HTTP): a genesis commit and its creation events.
func runReconcileBenchmark() async throws {
    let count = ProcessInfo.processInfo.environment["RECONCILE_BENCH_ACCOUNTS"].flatMap(Int.init) ?? 1_000
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    var logger = Logger(label: "reconcile-bench")
    logger.logLevel = .warning
    // As `pds serve`: the handle cache is sized to the raised file-descriptor limit.
    let configuration = try PDSConfiguration.fromEnvironment(["PDS_DEV_MODE": "true", "PDS_DATA_DIRECTORY": root.path])
    var services = try PDSServices(configuration: configuration, logger: logger)
    /// Closes every actor handle and opens fresh services on the same data directory.
    func restart() async throws -> PDSServices {
        await services.actorStore.close()
        return try PDSServices(configuration: configuration, logger: logger)
    }

    var dids: [DID] = []
    let seeding = try await ContinuousClock().measure {
        for n in 0..<count {
            let did = try benchDID(n)
            let keypair = Secp256k1Keypair()
            try await services.actorStore.create(did, keypair: keypair)
            let genesis = try await services.actorStore.transact(did) { try $0.repo.createRepo(keypair: keypair) }
            let handle = try Handle("bench\(n).test")
            try await services.serviceDB.createAccount(
                .init(
                    did: did, handle: handle, email: "bench\(n)@example.com", passwordScrypt: "unused",
                    repoCID: genesis.cid, repoRev: genesis.rev),
                refreshToken: nil)
            try await services.sequencer.sequenceAccountCreation(did: did, handle: handle, commit: genesis)
            dids.append(did)
        }
    }
    print("reconcile.accounts           \(count) (seeded in \(format(seeding)))")

    for concurrency in [1, 4, 8] {
        services = try await restart()
        let summary = try await services.reconciler.reconcileAll(concurrency: concurrency)
        precondition(summary.checked == count && summary.synced == 0 && summary.failed == 0, "\(summary)")
        print("reconcile.clean.c\(concurrency)          \(format(summary.duration))")
    }

    // One durable commit per account that never reached the sequencer.
    let record = LexValue.map(["$type": .string("com.example.note"), "text": .string("lost")])
    for did in dids {
        _ = try await services.actorStore.transact(did) { txn in
            try txn.repo.processWrites(
                [.create(try NSID("com.example.note"), try RecordKey("lost"), record)], swapCommit: nil)
        }
    }
    services = try await restart()
    let lost = try await services.reconciler.reconcileAll()
    precondition(lost.synced == count && lost.failed == 0, "\(lost)")
    print(
        "reconcile.lost.c8            \(format(lost.duration)) (\(lost.synced) #sync, \(lost.mirrorsUpdated) mirrors)")
}

/// A valid did:plc for account `n` (24 base32 characters).
private func benchDID(_ n: Int) throws -> DID {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
    var digits: [Character] = []
    var value = n
    for _ in 0..<24 {
        digits.append(alphabet[value % 32])
        value /= 32
    }
    return try DID("did:plc:" + String(digits.reversed()))
}

private func format(_ duration: Duration) -> String {
    String(format: "%.3f s", duration.timeInterval)
}
