import FuzzDriver

/// The fuzzing harness for the server-side parsers (see ``FuzzDriver``): `xrpc-params` (request targets and their
/// query parameters against the methods' lexicons) and `plc` (PLC operations).
@main
struct FuzzMain {
    static func main() throws {
        try FuzzDriver.main([("xrpc-params", XRPCParametersHarness.run), ("plc", PLCHarness.run)])
    }
}
