import ATCore
import ATCrypto

runDAGCBORBenchmark()
runCryptoBenchmark()
runRepoBenchmark()
