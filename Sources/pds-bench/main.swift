import ATCore
import ATCrypto

runDAGCBORBenchmark()
runCryptoBenchmark()
try await runActorStoreBenchmark()
