import ATCrypto
import Foundation

extension PDSConfiguration {
    /// The secrets the server runs with, all present.
    package struct ResolvedSecrets: Sendable {
        /// `PDS_JWT_SECRET`.
        package var jwtSecret: String
        /// `PDS_ADMIN_PASSWORD`.
        package var adminPassword: String
        /// `PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX`, decoded.
        package var plcRotationKey: Secp256k1Keypair
    }

    /// The file, in the data directory, holding secrets generated in dev mode.
    package var devSecretsURL: URL {
        URL(fileURLWithPath: storage.dataDirectory).appendingPathComponent("dev-secrets.json")
    }

    /// Fills in the secrets.
    ///
    /// Outside dev mode every missing or invalid secret is an error naming its variable. In dev mode each missing
    /// secret is taken from `<data>/dev-secrets.json`, or generated once and written there (mode `0600`), so a
    /// restart keeps the same sessions and the same PLC rotation key.
    /// - Throws: `PDSConfigurationError` naming each problem.
    package func resolvingSecrets() throws -> ResolvedSecrets {
        var jwtSecret = secrets.jwtSecret
        var adminPassword = secrets.adminPassword
        var rotationHex = secrets.plcRotationKeyK256PrivateKeyHex
        if service.devMode, jwtSecret == nil || adminPassword == nil || rotationHex == nil {
            var stored = try DevSecrets.load(devSecretsURL) ?? DevSecrets()
            let before = stored
            stored.jwtSecret = stored.jwtSecret ?? DevSecrets.randomHex(32)
            stored.adminPassword = stored.adminPassword ?? DevSecrets.randomHex(16)
            stored.plcRotationKeyK256PrivateKeyHex =
                stored.plcRotationKeyK256PrivateKeyHex ?? Hex.encode(Secp256k1Keypair().exportPrivateKey())
            if stored != before { try stored.write(to: devSecretsURL) }
            jwtSecret = jwtSecret ?? stored.jwtSecret
            adminPassword = adminPassword ?? stored.adminPassword
            rotationHex = rotationHex ?? stored.plcRotationKeyK256PrivateKeyHex
        }
        var problems: [String] = []
        if jwtSecret?.isEmpty ?? true { problems.append("PDS_JWT_SECRET is required") }
        if adminPassword?.isEmpty ?? true { problems.append("PDS_ADMIN_PASSWORD is required") }
        var rotationKey: Secp256k1Keypair?
        if let rotationHex {
            if let bytes = Hex.decode(rotationHex), let key = try? Secp256k1Keypair(privateKey: bytes) {
                rotationKey = key
            } else {
                problems.append("PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX must be a 32-byte secp256k1 key in hex")
            }
        } else {
            problems.append("PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX is required")
        }
        guard problems.isEmpty, let jwtSecret, let adminPassword, let rotationKey else {
            throw PDSConfigurationError(problems: problems)
        }
        return ResolvedSecrets(jwtSecret: jwtSecret, adminPassword: adminPassword, plcRotationKey: rotationKey)
    }
}

extension PDSConfiguration {
    /// The admin password a client of the running server (the admin CLI) presents: `PDS_ADMIN_PASSWORD`, or in dev
    /// mode the one the server generated into `<data>/dev-secrets.json`. Unlike ``resolvingSecrets()`` nothing is
    /// generated or written.
    /// - Returns: `nil` when there is none.
    /// - Throws: when `dev-secrets.json` exists but cannot be read.
    package func adminPasswordForClients() throws -> String? {
        if let password = secrets.adminPassword, !password.isEmpty { return password }
        guard service.devMode else { return nil }
        return try DevSecrets.load(devSecretsURL)?.adminPassword
    }
}

/// Secrets generated in dev mode, persisted as `<data>/dev-secrets.json`.
struct DevSecrets: Codable, Equatable {
    var jwtSecret: String?
    var adminPassword: String?
    var plcRotationKeyK256PrivateKeyHex: String?

    static func load(_ url: URL) throws -> DevSecrets? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONDecoder().decode(DevSecrets.self, from: Data(contentsOf: url))
    }

    /// Writes atomically with mode `0600`.
    func write(to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = directory.appendingPathComponent(".dev-secrets.json.\(UUID().uuidString)")
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: try encoder.encode(self), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown) }
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
    }

    static func randomHex(_ count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return Hex.encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}

/// Lowercase hex.
enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func decode(_ string: String) -> [UInt8]? {
        let chars = Array(string.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
