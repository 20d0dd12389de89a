import ATCore
import Testing

@testable import Sequencer

@Suite struct SubscriptionFrameTests {
    @Test func messageFrameBytesAreHeaderThenBody() throws {
        let frame = SubscriptionFrame.message(type: "#info", body: .map(["name": .string("OutdatedCursor")]))
        let bytes = frame.bytes
        // {"t": "#info", "op": 1} canonically ordered: "t" (1 byte key) before "op" (2 bytes).
        let header = DAGCBOR.encode(.map(["op": .integer(1), "t": .string("#info")]))
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(bytes.prefix(3) == [0xa2, 0x61, 0x74])
        #expect(try SubscriptionFrame(bytes: bytes) == frame)
    }

    @Test func errorFrameRoundTrip() throws {
        let frame = SubscriptionFrame.error(name: "FutureCursor", message: "Cursor in the future.")
        #expect(try SubscriptionFrame(bytes: frame.bytes) == frame)
        #expect(frame.bytes.prefix(5) == [0xa1, 0x62, 0x6f, 0x70, 0x20])  // {"op": -1}
    }

    @Test(arguments: [
        [UInt8](),
        [0xa1, 0x62, 0x6f, 0x70, 0x01],  // header without body
        DAGCBOR.encode(.map(["op": .integer(2)])) + DAGCBOR.encode(.map([:])),
        DAGCBOR.encode(.map(["op": .integer(1)])) + DAGCBOR.encode(.map([:])),
        DAGCBOR.encode(.map(["op": .integer(1), "t": .string("#x")])) + DAGCBOR.encode(.string("not a map")),
        DAGCBOR.encode(.map(["op": .integer(-1)])) + DAGCBOR.encode(.map([:])),
    ])
    func malformedFramesAreRejected(_ bytes: [UInt8]) {
        #expect(throws: SequencerError.self) { try SubscriptionFrame(bytes: bytes) }
    }
}
