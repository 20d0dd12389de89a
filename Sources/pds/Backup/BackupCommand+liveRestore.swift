import ATCore
import AsyncHTTPClient
import Backup
import Foundation
import PDSServer

/// `pds backup restore --did DID` when a server runs on the data directory (it holds the lock): the account's files
/// are restored into a staging directory, `<data>/tmp/restore/<random>/` (nothing live is written), then the running
/// server is asked (`dev.swiftpds.backup.restoreAccount`, admin Basic auth, at `--url` or
/// `http://localhost:$PDS_PORT`) to put them in place of the live ones and announce the repo (``LiveAccountRestore``).
/// The staging directory is removed whatever happens.
struct LiveRestoreCommand {
    /// The backup settings and target.
    let context: BackupContext
    /// The running server's data directory (`--to`).
    let dataDirectory: URL
    /// The account.
    let did: DID
    /// The point in time (milliseconds), `nil` for the newest.
    let time: Int64?
    /// `--url`.
    let url: String?

    /// What the command prints with `--json`.
    struct Output: Encodable {
        /// The restore from the backup into the staging directory.
        var backup: BackupRestorer.Summary
        /// What the server did.
        var server: LiveAccountRestore.Summary
        /// The server's URL.
        var url: String
    }

    /// Restores, hands over, and returns what both sides did.
    func run() async throws -> Output {
        let (baseURL, password) = try serverAccess()
        let name = UUID().uuidString.lowercased()
        let staging = LiveAccountRestore.stagingRoot(dataDirectory: dataDirectory).appendingPathComponent(name)
        defer { try? FileManager.default.removeItem(at: staging) }
        let layout = BackupLayout(
            dataDirectory: staging, actorsDirectory: LiveAccountRestore.stagedActors(staging),
            blobsDirectory: LiveAccountRestore.stagedBlobs(staging))
        let bar = ProgressCounter(nil)
        let backup = try await BackupRestorer(target: context.target, key: context.configuration.key).restore(
            into: layout, at: time, did: did
        ) { done, total in bar.reach(done, total: total, label: "Restoring") }
        let http = AdminClient.makeHTTPClient()
        let client = AdminClient(baseURL: baseURL, adminPassword: password, http: http)
        let method = LiveAccountRestore.method
        let result: Result<LiveAccountRestore.Summary, AdminFailure>
        do {
            let answer = try await client.procedure(
                method, .object(["did": .string(did.rawValue), "staging": .string(name)]))
            result = .success(try client.decode(LiveAccountRestore.Summary.self, from: answer, method: method))
        } catch {
            result = .failure(error)
        }
        try? await http.shutdown()
        return Output(backup: backup, server: try result.get(), url: baseURL)
    }

    /// The running server's URL and admin password, from the same configuration as `pds serve` (with
    /// `PDS_DATA_DIRECTORY` set to `--to`, where dev mode keeps its generated password).
    private func serverAccess() throws -> (baseURL: String, adminPassword: String) {
        var environment = context.environment
        environment["PDS_DATA_DIRECTORY"] = dataDirectory.path
        let configuration: PDSConfiguration
        let password: String?
        do {
            configuration = try PDSConfiguration.fromEnvironment(environment)
            password = try configuration.adminPasswordForClients()
        } catch {
            throw AdminFailure.configuration("cannot read the running server's configuration: \(error)")
        }
        guard let password else {
            throw AdminFailure.configuration(
                "a server runs on \(dataDirectory.path): set PDS_ADMIN_PASSWORD (or --env-file pds.env) so the "
                    + "restored account can be handed to it")
        }
        let base = url ?? "http://localhost:\(configuration.service.port)"
        guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw AdminFailure.usage("--url must be an http(s) URL, got '\(base)'")
        }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base, password)
    }
}

extension PDSCommand.BackupCommand.Restore {
    /// Prints what a live restore did (a line for people, or JSON with `--json`).
    func printLiveRestore(_ output: LiveRestoreCommand.Output) throws {
        if options.json {
            try printJSON(output)
            return
        }
        let server = output.server
        let announced = server.announcedRev.map { "re-signed at rev \($0)" } ?? "already announced"
        print(
            "Restored \(server.did) into the running server at \(output.url) as of \(output.backup.at) "
                + "(rev \(server.restoredRev ?? "none")); \(announced)"
                + (server.syncSeq.map { ", #sync seq \($0)" } ?? "") + "; blobs restored \(server.blobsRestored), "
                + "removed \(server.blobsRemoved); "
                + String(format: "%.1f s", output.backup.seconds) + " to restore from the backup")
    }
}
