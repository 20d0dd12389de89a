import ATCore
import ATCrypto

runDAGCBORBenchmark()
runCryptoBenchmark()
runRepoBenchmark()
try await runActorStoreBenchmark()
