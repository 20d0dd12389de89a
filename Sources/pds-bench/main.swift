import ATCore
import ATCrypto
import Foundation

// `pds-bench [dagcbor] [crypto] [repo] [actorstore] [reconcile]`: the named benchmarks, or all of them.
// `pds-bench commit` runs only the actor store's commit measurements (part of `actorstore`).
let selected = Set(CommandLine.arguments.dropFirst())
func wanted(_ name: String) -> Bool { selected.isEmpty || selected.contains(name) }

if wanted("dagcbor") { runDAGCBORBenchmark() }
if wanted("crypto") { runCryptoBenchmark() }
if wanted("repo") { runRepoBenchmark() }
if wanted("actorstore") { try await runActorStoreBenchmark() }
if selected.contains("commit") {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pds-bench-commit-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    try await runActorStoreCommitBenchmark(directory: directory)
}
if wanted("reconcile") { try await runReconcileBenchmark() }
