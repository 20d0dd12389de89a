import ATCore
import ATCrypto

print("pds-bench")
runDAGCBORBenchmark()
