import ATCore
import ATCrypto

runCryptoBenchmark()
