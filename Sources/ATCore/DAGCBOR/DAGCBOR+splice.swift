extension DAGCBOR {
    /// Adds (or replaces) top-level entries of an encoded map without decoding its values: the existing entries are
    /// copied as bytes and the new ones are encoded and merged in canonical key order.
    ///
    /// This is how a stored firehose event becomes its frame body: `seq` and `time` join the bytes written to
    /// `sequencer.sqlite`, which are never decoded and re-encoded on the way to subscribers.
    /// - Parameters:
    ///   - encodedMap: a canonical DAG-CBOR map.
    ///   - entries: the entries to add; an entry whose key is already in the map replaces it.
    ///   - out: where the resulting canonical map is appended.
    /// - Throws: `DataModelError.invalidCBOR` when `encodedMap` is not a well-formed map.
    package static func spliceMap(
        _ encodedMap: some Collection<UInt8>, adding entries: [(key: String, value: LexValue)], into out: inout [UInt8]
    ) throws(DataModelError) {
        let array = encodedMap as? [UInt8] ?? Array(encodedMap)
        let result = array.withUnsafeBufferPointer { buffer in
            Result { () throws(DataModelError) in try spliceMap(buffer: buffer, adding: entries, into: &out) }
        }
        try result.get()
    }

    private static func spliceMap(
        buffer: UnsafeBufferPointer<UInt8>, adding entries: [(key: String, value: LexValue)], into out: inout [UInt8]
    ) throws(DataModelError) {
        var reader = Reader(buffer: buffer, maxDepth: maxDepth)
        let head = try reader.readHead()
        guard head.major == Major.map.rawValue else { throw .invalidCBOR("not a map") }
        let count = try reader.checkedLength(head.argument, unit: 2)
        // Each existing entry as (key bytes, start of the entry, end of the entry).
        var existing: [(key: ArraySlice<UInt8>, range: Range<Int>)] = []
        existing.reserveCapacity(count)
        for _ in 0..<count {
            let start = reader.position
            let keyHead = try reader.readHead()
            guard keyHead.major == Major.text.rawValue else { throw .invalidCBOR("map key is not a string") }
            let keyLength = try reader.checkedLength(keyHead.argument)
            let key = Array(buffer[reader.position..<reader.position + keyLength])[...]
            reader.position += keyLength
            try reader.skipValue(depth: 1)
            existing.append((key, start..<reader.position))
        }
        guard reader.position == buffer.count else { throw .invalidCBOR("trailing bytes after value") }

        let added = entries.sorted { keyPrecedes($0.key, $1.key) }
        let addedKeys = Set(added.map { Array($0.key.utf8) })
        let kept = existing.filter { !addedKeys.contains(Array($0.key)) }
        writeHead(.map, UInt64(kept.count + added.count), into: &out)
        var next = 0
        for entry in added {
            let keyBytes = Array(entry.key.utf8)
            while next < kept.count, Self.keyBytesPrecede(kept[next].key, keyBytes[...]) {
                out.append(contentsOf: buffer[kept[next].range])
                next += 1
            }
            writeString(entry.key, into: &out)
            encode(entry.value, into: &out)
        }
        while next < kept.count {
            out.append(contentsOf: buffer[kept[next].range])
            next += 1
        }
    }

    /// The canonical key order over UTF-8 bytes: shorter first, then bytewise.
    static func keyBytesPrecede(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        if lhs.count != rhs.count { return lhs.count < rhs.count }
        return lhs.lexicographicallyPrecedes(rhs)
    }
}

extension DAGCBOR.Reader {
    /// Moves past one value without building it, checking its heads and lengths as ``readValue(depth:)`` does
    /// (structure only: text is not checked for UTF-8, nor CIDs for their form).
    mutating func skipValue(depth: Int) throws(DataModelError) {
        guard depth <= maxDepth else { throw .invalidCBOR("nesting deeper than \(maxDepth)") }
        let head = try readHead()
        switch head.major {
        case 0, 1:
            return
        case 2, 3:
            position += try checkedLength(head.argument)
        case 4:
            let count = try checkedLength(head.argument)
            for _ in 0..<count { try skipValue(depth: depth + 1) }
        case 5:
            let count = try checkedLength(head.argument, unit: 2)
            for _ in 0..<count {
                try skipValue(depth: depth + 1)
                try skipValue(depth: depth + 1)
            }
        case 6:
            guard head.argument == DAGCBOR.cidTag else { throw .invalidCBOR("unsupported tag \(head.argument)") }
            try skipValue(depth: depth + 1)
        default:
            // Simple values and floats carry their payload in the head.
            return
        }
    }
}
