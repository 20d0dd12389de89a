import ATCore
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Sequencer

/// WebSocket frames as the server decodes a client's bytes (NIO's `WebSocketFrameDecoder` with the 16 KiB frame
/// limit the server's WebSocket configuration uses), fed in two chunks to exercise partial frames; binary messages,
/// and the raw input, are then parsed as subscription frames (DAG-CBOR header and body), which must re-encode to
/// an equal frame.
enum WebSocketHarness {
    static func run(_ input: [UInt8]) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 14)))
        let split = input.isEmpty ? 0 : Int(input[0]) % (input.count + 1)
        for chunk in [input[..<split], input[split...]] {
            do { try channel.writeInbound(ByteBuffer(bytes: chunk)) } catch { break }
        }
        while let frame = try? channel.readInbound(as: WebSocketFrame.self) {
            if frame.opcode == .binary { subscriptionFrame(Array(frame.unmaskedData.readableBytesView)) }
        }
        _ = try? channel.finish()
        subscriptionFrame(input)
    }

    static func subscriptionFrame(_ bytes: [UInt8]) {
        guard let frame = try? SubscriptionFrame(bytes: bytes) else { return }
        precondition((try? SubscriptionFrame(bytes: frame.bytes)) == frame, "subscription frame does not round-trip")
    }
}
