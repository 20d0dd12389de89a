import HTTPGuard
import NIOCore
import NIOEmbedded
import Testing

@Suite("Connection registry")
struct ConnectionRegistryTests {
    private func limits(total: Int, perAddress: Int) -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.maxConnections = total
        limits.maxConnectionsPerAddress = perAddress
        return limits
    }

    private func admittedID(_ admission: ConnectionRegistry.Admission) -> UInt64? {
        if case .admitted(let id, _) = admission { return id }
        return nil
    }

    @Test("the per-address cap refuses the next connection; exempt addresses are not held to it")
    func perAddress() {
        let registry = ConnectionRegistry(limits: limits(total: 100, perAddress: 2)) { $0 == "127.0.0.1" }
        #expect(admittedID(registry.admit(address: "a", channel: EmbeddedChannel())) != nil)
        #expect(admittedID(registry.admit(address: "a", channel: EmbeddedChannel())) != nil)
        guard case .refused(.perAddress) = registry.admit(address: "a", channel: EmbeddedChannel()) else {
            Issue.record("a third connection from one address was admitted")
            return
        }
        for _ in 0..<5 { #expect(admittedID(registry.admit(address: "127.0.0.1", channel: EmbeddedChannel())) != nil) }
        #expect(registry.counts.open == 7)
    }

    @Test("at the total cap the longest-idle connection of the address holding the most makes room")
    func eviction() throws {
        let registry = ConnectionRegistry(limits: limits(total: 3, perAddress: 0))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let heavyOld = EmbeddedChannel()
        let heavyNew = EmbeddedChannel()
        let light = EmbeddedChannel()
        _ = registry.admit(address: "heavy", channel: heavyOld, now: start)
        _ = registry.admit(address: "light", channel: light, now: start - .seconds(1))
        _ = registry.admit(address: "heavy", channel: heavyNew, now: start + .seconds(1))
        guard case .admitted(_, let evicted?) = registry.admit(address: "new", channel: EmbeddedChannel()) else {
            Issue.record("nothing was evicted")
            return
        }
        #expect(evicted === heavyOld)
        #expect(registry.counts.open == 3)
        #expect(registry.counts.evictions == 1)
    }

    @Test("busy connections are never evicted: with all of them busy the newcomer is refused")
    func busyNotEvicted() throws {
        let registry = ConnectionRegistry(limits: limits(total: 2, perAddress: 0))
        let ids = (0..<2).compactMap { _ in admittedID(registry.admit(address: "a", channel: EmbeddedChannel())) }
        for id in ids { registry.setIdle(id, since: nil) }
        guard case .refused(.total) = registry.admit(address: "b", channel: EmbeddedChannel()) else {
            Issue.record("a busy connection was evicted")
            return
        }
        registry.release(ids[0])
        registry.release(ids[0])  // releasing twice (evicted, then closed) counts once
        #expect(registry.counts.open == 1)
        #expect(admittedID(registry.admit(address: "b", channel: EmbeddedChannel())) != nil)
    }
}
