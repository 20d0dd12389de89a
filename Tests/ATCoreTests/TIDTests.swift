import Synchronization
import Testing

@testable import ATCore

@Suite struct TIDTests {
    @Test(
        arguments: [
            (UInt64(0), UInt16(0)), (UInt64(1), UInt16(1)), (UInt64(1_700_000_000_000_000), UInt16(1023)),
            (TID.maxTimestampMicroseconds, UInt16(512)), (TID.maxEncodableTimestampMicroseconds, UInt16(1023)),
        ] as [(UInt64, UInt16)])
    func roundTrip(timestamp: UInt64, clockID: UInt16) throws {
        let tid = TID(timestampMicroseconds: timestamp, clockID: clockID)
        #expect(tid.timestampMicroseconds == timestamp)
        #expect(tid.clockID == clockID)
        #expect(try TID(tid.rawValue) == tid)
    }

    @Test func knownEncoding() {
        #expect(TID(timestampMicroseconds: 0, clockID: 0).rawValue == "2222222222222")
        #expect(TID(timestampMicroseconds: 0, clockID: 1).rawValue == "2222222222223")
        #expect(TID(timestampMicroseconds: 1, clockID: 0).rawValue == "2222222222322")
    }

    @Test func orderMatchesTime() {
        let a = TID(timestampMicroseconds: 1_000, clockID: 1023)
        let b = TID(timestampMicroseconds: 1_001, clockID: 0)
        #expect(a < b)
    }

    @Test func generatorIsStrictlyMonotonic() {
        let generator = TIDGenerator()
        #expect(generator.clockID < 1024)
        var previous = generator.next()
        for _ in 0..<100_000 {
            let next = generator.next()
            #expect(next > previous)
            if next <= previous { break }
            previous = next
        }
    }

    @Test func generatorBumpsWhenClockStalls() {
        let generator = TIDGenerator(clockID: 7, now: { 5_000 })
        let first = generator.next()
        let second = generator.next()
        #expect(first.timestampMicroseconds == 5_000)
        #expect(second.timestampMicroseconds == 5_001)
        #expect(second.clockID == 7)
    }

    @Test func generatorBumpsWhenClockGoesBackwards() {
        let time = Mutex<UInt64>(10_000)
        let generator = TIDGenerator(clockID: 3, now: { time.withLock { $0 } })
        let first = generator.next()
        time.withLock { $0 = 9_000 }
        #expect(generator.next() > first)
    }

    @Test func nextAfterExceedsGivenTID() {
        let generator = TIDGenerator(clockID: 0, now: { 1_000 })
        let future = TID(timestampMicroseconds: 2_000_000, clockID: 1023)
        let next = generator.next(after: future)
        #expect(next > future)
        #expect(generator.next() > next)
        #expect(generator.next(after: nil) > next)
        // A TID from the past does not hold the generator back.
        let old = TID(timestampMicroseconds: 1, clockID: 0)
        #expect(generator.next(after: old) > old)
    }

    @Test func nextAfterHighBitTID() throws {
        // Syntactically valid although the top bit of the integer is set.
        let high = try TID("jzzzzzzzzzy22")
        #expect(high.timestampMicroseconds == TID.maxEncodableTimestampMicroseconds - 1)
        let generator = TIDGenerator(clockID: 5)
        #expect(generator.next(after: high) > high)
    }

    @Test func nextAfterIsMonotonicOverManyRevisions() {
        let generator = TIDGenerator()
        var rev: TID? = nil
        for _ in 0..<10_000 {
            let next = generator.next(after: rev)
            if let rev { #expect(next > rev) }
            rev = next
        }
    }

    @Test func generatorIsMonotonicAcrossTasks() async {
        let generator = TIDGenerator()
        let batches = await withTaskGroup(of: [TID].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5_000).map { _ in generator.next() } } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for batch in batches { #expect(zip(batch, batch.dropFirst()).allSatisfy { $0 < $1 }) }
        #expect(Set(batches.joined()).count == 20_000)
    }
}
