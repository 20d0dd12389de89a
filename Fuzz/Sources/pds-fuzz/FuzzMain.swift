import FuzzDriver

/// The fuzzing harness for the data-model parsers (see ``FuzzDriver``): `cbor` (DAG-CBOR decoding), `car` (CAR
/// reading), `json` (the strict JSON parser and the data-model conversion), `lexicon` (record validation) and
/// `websocket` (WebSocket frames and the subscription frames inside).
@main
struct FuzzMain {
    static func main() throws {
        try FuzzDriver.main([
            ("cbor", CBORHarness.run), ("car", CARHarness.run), ("json", JSONHarness.run),
            ("lexicon", LexiconHarness.run), ("websocket", WebSocketHarness.run),
        ])
    }
}
