import ArgumentParser

extension PDSCommand.Invite {
    /// `pds invite disable`: `com.atproto.admin.disableInviteCodes`.
    struct Disable: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable invite codes, by code or every code of an account.",
            discussion: "Calls com.atproto.admin.disableInviteCodes. With --json: {codes, accounts}."
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The codes to disable.")
        var codes: [String] = []

        @Option(name: .customLong("account"), help: "Also disable every code created for this DID (repeatable).")
        var accounts: [String] = []

        func validate() throws {
            guard !codes.isEmpty || !accounts.isEmpty else {
                throw ValidationError("give at least one code or --account")
            }
        }

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let input: JSONValue = .object([
                "codes": .array(codes.map { .string($0) }), "accounts": .array(accounts.map { .string($0) }),
            ])
            try await context.client.procedure("com.atproto.admin.disableInviteCodes", input)
            var table = TableWriter(columns: ["disabled"])
            for code in codes { table.append([code]) }
            for account in accounts { table.append(["every code for \(account)"]) }
            context.emit(table: table.render(), json: input)
        }
    }
}
