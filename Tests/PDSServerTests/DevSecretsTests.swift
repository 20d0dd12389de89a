import ATCrypto
import Foundation
import PDSTestSupport
import Testing

@testable import PDSServer

@Suite struct DevSecretsTests {
    @Test func devModeGeneratesOnceAndReuses() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try TestApplication.configuration(dataDirectory: dir)
            let first = try configuration.resolvingSecrets()
            let second = try configuration.resolvingSecrets()
            #expect(first.jwtSecret == second.jwtSecret && first.adminPassword == second.adminPassword)
            #expect(first.plcRotationKey.did == second.plcRotationKey.did)
            let attributes = try FileManager.default.attributesOfItem(atPath: configuration.devSecretsURL.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test func configuredSecretsWinOverGeneratedOnes() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try TestApplication.configuration(
                ["PDS_JWT_SECRET": "configured", "PDS_ADMIN_PASSWORD": "admin-pw"], dataDirectory: dir)
            let secrets = try configuration.resolvingSecrets()
            #expect(secrets.jwtSecret == "configured" && secrets.adminPassword == "admin-pw")
        }
    }

    @Test func outsideDevModeEveryMissingSecretIsNamed() throws {
        let configuration = try PDSConfiguration.fromEnvironment(["PDS_HOSTNAME": "pds.example.com"])
        #expect(configuration.identity.plcURL == "https://plc.directory")
        #expect {
            try configuration.resolvingSecrets()
        } throws: { error in
            guard let error = error as? PDSConfigurationError else { return false }
            return error.problems.count == 3 && error.description.contains("PDS_JWT_SECRET")
                && error.description.contains("PDS_ADMIN_PASSWORD")
                && error.description.contains("PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX")
        }
    }

    @Test func invalidRotationKeyIsNamed() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_JWT_SECRET": "a", "PDS_ADMIN_PASSWORD": "b", "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": "zz",
        ])
        #expect(throws: PDSConfigurationError.self) { try configuration.resolvingSecrets() }
    }

    @Test(arguments: [
        ("PDS_ACCOUNT_DB_LOCATION", "/x/account.sqlite"), ("PDS_ACTOR_STORE_DIRECTORY", "/x/actors"),
        ("PDS_DID_CACHE_DB_LOCATION", "/x/did.sqlite"), ("PDS_DID_PLC_URL", "http://plc.local"),
        ("PDS_RECOVERY_DID_KEY", "did:key:zQ3shabc"), ("PDS_ACTOR_STORE_CACHE_SIZE", "7"),
        ("PDS_DID_CACHE_STALE_TTL", "10"), ("PDS_DID_CACHE_MAX_TTL", "20"), ("PDS_ID_RESOLVER_TIMEOUT", "30"),
        ("PDS_DISABLE_SSRF_PROTECTION", "true"), ("PDS_ENABLE_DID_DOC_WITH_SESSION", "true"),
        ("PDS_SQLITE_DISABLE_WAL_AUTO_CHECKPOINT", "true"), ("PDS_INVITE_INTERVAL", "1000"),
        ("PDS_JWT_SECRET", "s"), ("PDS_ADMIN_PASSWORD", "p"), ("PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX", "ab"),
    ])
    func readsReferenceVariableNames(name: String, value: String) throws {
        let c = try PDSConfiguration.fromEnvironment([name: value])
        let observed: String? =
            switch name {
            case "PDS_ACCOUNT_DB_LOCATION": c.storage.accountDBLocation
            case "PDS_ACTOR_STORE_DIRECTORY": c.storage.actorStoreDirectory
            case "PDS_DID_CACHE_DB_LOCATION": c.storage.didCacheDBLocation
            case "PDS_DID_PLC_URL": c.identity.plcURL
            case "PDS_RECOVERY_DID_KEY": c.identity.recoveryDIDKey
            case "PDS_ACTOR_STORE_CACHE_SIZE": c.storage.actorStoreCacheSize.map(String.init)
            case "PDS_DID_CACHE_STALE_TTL": String(c.identity.didCacheStaleTTL)
            case "PDS_DID_CACHE_MAX_TTL": String(c.identity.didCacheMaxTTL)
            case "PDS_ID_RESOLVER_TIMEOUT": String(c.identity.resolverTimeout)
            case "PDS_DISABLE_SSRF_PROTECTION": String(c.identity.disableSSRFProtection)
            case "PDS_ENABLE_DID_DOC_WITH_SESSION": String(c.identity.enableDIDDocWithSession)
            case "PDS_SQLITE_DISABLE_WAL_AUTO_CHECKPOINT": String(c.storage.sqliteDisableWALAutoCheckpoint)
            case "PDS_INVITE_INTERVAL": c.invites.interval.map(String.init)
            case "PDS_JWT_SECRET": c.secrets.jwtSecret
            case "PDS_ADMIN_PASSWORD": c.secrets.adminPassword
            case "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": c.secrets.plcRotationKeyK256PrivateKeyHex
            default: nil
            }
        #expect(observed == value)
    }

    @Test func devModeWithoutPLCURLUsesTheEmbeddedDirectory() throws {
        #expect(try PDSConfiguration.fromEnvironment(["PDS_DEV_MODE": "true"]).identity.plcURL == nil)
    }
}
