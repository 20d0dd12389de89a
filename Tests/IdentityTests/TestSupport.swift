// The PLC identity builders (`PLCFixture`, `Keypair.signedGenesis`…) and `withTemporaryPath`, for every file here.
@_exported import IdentityTestSupport
