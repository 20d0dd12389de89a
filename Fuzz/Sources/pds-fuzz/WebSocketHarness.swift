import ATCore
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Sequencer

/// WebSocket frames as the server decodes a client's bytes (NIO's `WebSocketFrameDecoder` with the 16 KiB frame
/// limit the server's WebSocket configuration uses), fed in two chunks to exercise partial frames; binary messages,
/// and the raw input, are then parsed as subscription frames (DAG-CBOR header and body), which must re-encode to
/// an equal frame.
///
/// One `EmbeddedChannel` serves every input (a channel per input held the fuzzer to about 100 inputs/s): each input
/// gets a fresh decoder, which is removed afterwards (decoding what is left as at the end of a stream, as closing
/// the channel did), so no decoder state carries over from one input to the next.
enum WebSocketHarness {
    /// The channel every input goes through; libFuzzer calls the harness on one thread, the one that created it.
    nonisolated(unsafe) private static let channel = EmbeddedChannel()

    static func run(_ input: [UInt8]) {
        let decoder = ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 14))
        try! channel.pipeline.syncOperations.addHandler(decoder)
        let split = input.isEmpty ? 0 : Int(input[0]) % (input.count + 1)
        for chunk in [input[..<split], input[split...]] {
            do { try channel.writeInbound(ByteBuffer(bytes: chunk)) } catch { break }
        }
        channel.pipeline.syncOperations.removeHandler(decoder, promise: nil)
        channel.embeddedEventLoop.run()
        _ = try? channel.throwIfErrorCaught()
        precondition(
            (try? channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self))
                == nil,
            "the decoder was not removed")
        // The decoded frames, then whatever bytes the removed decoder handed on.
        while let item = try? channel.readInbound(as: Any.self) {
            if let frame = item as? WebSocketFrame, frame.opcode == .binary {
                subscriptionFrame(Array(frame.unmaskedData.readableBytesView))
            }
        }
        subscriptionFrame(input)
    }

    static func subscriptionFrame(_ bytes: [UInt8]) {
        guard let frame = try? SubscriptionFrame(bytes: bytes) else { return }
        precondition((try? SubscriptionFrame(bytes: frame.bytes)) == frame, "subscription frame does not round-trip")
    }
}
