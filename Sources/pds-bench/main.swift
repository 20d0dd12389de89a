import ATCore
import ATCrypto

// `pds-bench [dagcbor] [crypto] [repo] [actorstore] [reconcile]`: the named benchmarks, or all of them.
let selected = Set(CommandLine.arguments.dropFirst())
func wanted(_ name: String) -> Bool { selected.isEmpty || selected.contains(name) }

if wanted("dagcbor") { runDAGCBORBenchmark() }
if wanted("crypto") { runCryptoBenchmark() }
if wanted("repo") { runRepoBenchmark() }
if wanted("actorstore") { try await runActorStoreBenchmark() }
if wanted("reconcile") { try await runReconcileBenchmark() }
