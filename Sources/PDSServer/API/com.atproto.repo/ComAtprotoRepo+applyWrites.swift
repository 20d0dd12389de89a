import ActorStore
import ATCore
import ATRepo
import Hummingbird
import Logging

extension ComAtprotoRepo {
    /// `com.atproto.repo.applyWrites` (STD): up to 200 `#create`/`#update`/`#delete` writes in one commit.
    func applyWrites(_ request: Request, rateLimit: RateLimitScope?, logger: Logger) async throws -> LexJSONResponse {
        let input = try RepoInput(try await XRPCBody.lexValue(request, limit: XRPCBody.writeJSONLimit))
        let repo = try input.requireString("repo")
        let validate = try input.bool("validate")
        let swapCommit = try input.parse("swapCommit") { try CID($0) }
        guard let items = input.value["writes"]?.array else {
            throw XRPCError.invalidRequest("Input must have the property \"writes\"")
        }
        guard items.count <= RepoTransactor.maxWrites else {
            throw XRPCError.invalidRequest("Too many writes. Max: \(RepoTransactor.maxWrites)")
        }
        let did = try await writer.authorize(request, repo: repo, writes: Self.oauthWrites(items))
        try rateLimit?.consume(subject: did.rawValue, points: Self.rateLimitPoints(items))

        let prepared = try items.enumerated().map { index, item in
            try prepareApplyWrite(item, index: index, did: did, validate: validate)
        }
        let (_, commit) = try await writer.commit(
            did: did, swapCommit: swapCommit, records: prepared.compactMap(\.write.record), logger: logger
        ) { _ in
            (prepared.map { $0.write }, ())
        }
        let results: [LexValue] = prepared.map { write in
            let prefix = "com.atproto.repo.applyWrites#"
            switch write.write.action {
            case .delete: return .map(["$type": .string(prefix + "deleteResult")])
            case .create, .update:
                var result: [String: LexValue] = [
                    "$type": .string(prefix + (write.write.action == .create ? "createResult" : "updateResult")),
                    "uri": .string(write.uri.rawValue), "cid": .string(write.cid?.description ?? ""),
                ]
                if let status = write.validationStatus { result["validationStatus"] = .string(status) }
                return .map(result)
            }
        }
        var output: [String: LexValue] = ["results": .array(results)]
        if let commit { output["commit"] = RepoWriter.commitMeta(commit) }
        return LexJSONResponse(value: .map(output))
    }

    /// The writes' cost in the repo-write rate limits: 3 per create, 2 per update, 1 per delete (by `$type`, before
    /// the writes are validated, as the reference counts them).
    static func rateLimitPoints(_ items: [LexValue]) -> Int {
        items.reduce(0) { total, item in
            switch item.type {
            case "com.atproto.repo.applyWrites#create": total + RateLimits.WritePoints.create
            case "com.atproto.repo.applyWrites#update": total + RateLimits.WritePoints.update
            case "com.atproto.repo.applyWrites#delete": total + RateLimits.WritePoints.delete
            default: total
            }
        }
    }

    /// One element of `writes`, by its `$type`.
    private func prepareApplyWrite(_ item: LexValue, index: Int, did: DID, validate: Bool?) throws -> RepoWriter.PreparedWrite {
        let path = "Input/writes/\(index)"
        guard case .map = item else { throw XRPCError.invalidRequest("\(path) must be an object") }
        let fields = try RepoInput(item)
        guard let collection = try? fields.required("collection", { try NSID($0) }) else {
            throw XRPCError.invalidRequest("\(path)/collection must be a valid NSID")
        }
        let rkey: RecordKey?
        do {
            rkey = try fields.parse("rkey") { try RecordKey($0) }
        } catch {
            throw XRPCError.invalidRequest("\(path)/rkey must be a valid record key")
        }
        switch item.type {
        case "com.atproto.repo.applyWrites#create":
            return try writer.prepareRecord(
                action: .create, did: did, collection: collection, rkey: rkey, record: try value(fields, path),
                validate: validate, swapRecord: nil)
        case "com.atproto.repo.applyWrites#update":
            guard let rkey else { throw XRPCError.invalidRequest("\(path) must have the property \"rkey\"") }
            return try writer.prepareRecord(
                action: .update, did: did, collection: collection, rkey: rkey, record: try value(fields, path),
                validate: validate, swapRecord: nil)
        case "com.atproto.repo.applyWrites#delete":
            guard let rkey else { throw XRPCError.invalidRequest("\(path) must have the property \"rkey\"") }
            return writer.prepareDelete(did: did, collection: collection, rkey: rkey)
        default:
            throw XRPCError.invalidRequest(
                "\(path) must be an object which includes the \"$type\" property (#create, #update or #delete)")
        }
    }

    private func value(_ fields: RepoInput, _ path: String) throws -> LexValue {
        guard let value = fields.value["value"] else {
            throw XRPCError.invalidRequest("\(path) must have the property \"value\"")
        }
        guard case .map = value else { throw XRPCError.invalidRequest("\(path)/value must be an object") }
        return value
    }

    /// The (collection, action) pairs of `applyWrites` items, for the OAuth `repo:` check: one per distinct pair, as
    /// the reference checks them. An item whose type is unknown is left to the preparation step to refuse.
    static func oauthWrites(_ items: [LexValue]) -> [(collection: String, action: OAuthPermission.RepoAction)] {
        var seen = Set<String>()
        var out: [(collection: String, action: OAuthPermission.RepoAction)] = []
        for item in items {
            guard let type = item.map?["$type"]?.string, let collection = item.map?["collection"]?.string else { continue }
            let action: OAuthPermission.RepoAction
            switch type {
            case "com.atproto.repo.applyWrites#create": action = .create
            case "com.atproto.repo.applyWrites#update": action = .update
            case "com.atproto.repo.applyWrites#delete": action = .delete
            default: continue
            }
            if seen.insert("\(action.rawValue) \(collection)").inserted { out.append((collection, action)) }
        }
        return out
    }
}
