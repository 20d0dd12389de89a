import ArgumentParser

extension PDSCommand.Invite {
    /// `pds invite create`: `com.atproto.server.createInviteCodes` with the admin password.
    struct Create: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create invite codes.",
            discussion: """
                Creates --count codes, each usable --uses times (com.atproto.server.createInviteCodes), for the \
                admin or, with --for, for each given account. With --json: an array of {code, available, \
                forAccount}.
                """
        )

        @OptionGroup var options: AdminOptions

        @Option(help: "How many accounts each code can create.")
        var uses = 1

        @Option(help: "How many codes to create (per account with --for).")
        var count = 1

        @Option(name: .customLong("for"), help: "Create the codes for this account's DID (repeatable).")
        var forAccounts: [String] = []

        func validate() throws {
            guard uses >= 1 else { throw ValidationError("--uses must be at least 1") }
            guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        }

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            var input: [String: JSONValue] = ["codeCount": .int(Int64(count)), "useCount": .int(Int64(uses))]
            if !forAccounts.isEmpty { input["forAccounts"] = .array(forAccounts.map { .string($0) }) }
            let method = "com.atproto.server.createInviteCodes"
            let output = try await context.client.procedure(method, .object(input))
            guard case .array(let groups)? = output["codes"] else {
                throw .badResponse(url: context.client.baseURL, method: method, detail: "no codes")
            }
            var table = TableWriter(columns: ["code", "uses", "for"])
            var json: [JSONValue] = []
            for group in groups {
                let account = group["account"]?.string ?? "admin"
                guard case .array(let codes)? = group["codes"] else { continue }
                for code in codes.compactMap(\.string) {
                    table.append([code, String(uses), account])
                    json.append(
                        .object([
                            "code": .string(code), "available": .int(Int64(uses)), "forAccount": .string(account),
                        ]))
                }
            }
            context.emit(table: table.render(), json: .array(json))
        }
    }
}
