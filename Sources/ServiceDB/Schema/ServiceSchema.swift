import GRDB
import SQLiteSupport

/// The account database schema: the reference PDS's `account-manager/db/migrations` `001`…`007`, so that an
/// `account.sqlite` written by the reference opens here (and the other way round).
enum ServiceSchema {
    static let migrator = KyselyMigrator([
        migration("001", init001),
        migration("002", deactivation002),
        migration("003", privilegedAppPasswords003),
        migration("004", oauth004),
        migration("005", oauthAccountManagement005),
        migration("006", oauthPermissionSets006),
        migration("007", lexiconFailuresIndex007),
    ])

    static func migration(_ name: String, _ statements: [String]) -> SchemaMigration {
        SchemaMigration(name) { db in
            for statement in statements { try db.execute(sql: statement) }
        }
    }

    static let init001 = [
        #"create table "app_password" ("did" varchar not null, "name" varchar not null, "passwordScrypt" varchar not null, "createdAt" varchar not null, constraint "app_password_pkey" primary key ("did", "name"))"#,
        #"create table "invite_code" ("code" varchar primary key, "availableUses" integer not null, "disabled" int2 default 0, "forAccount" varchar not null, "createdBy" varchar not null, "createdAt" varchar not null)"#,
        #"create index "invite_code_for_account_idx" on "invite_code" ("forAccount")"#,
        #"create table "invite_code_use" ("code" varchar not null, "usedBy" varchar not null, "usedAt" varchar not null, constraint "invite_code_use_pkey" primary key ("code", "usedBy"))"#,
        #"create table "refresh_token" ("id" varchar primary key, "did" varchar not null, "expiresAt" varchar not null, "appPasswordName" varchar, "nextId" varchar)"#,
        #"create index "refresh_token_did_idx" on "refresh_token" ("did")"#,
        #"create table "repo_root" ("did" varchar primary key, "cid" varchar not null, "rev" varchar not null, "indexedAt" varchar not null)"#,
        #"create table "actor" ("did" varchar primary key, "handle" varchar, "createdAt" varchar not null, "takedownRef" varchar)"#,
        #"create unique index "actor_handle_lower_idx" on "actor" (lower("handle"))"#,
        #"create index "actor_cursor_idx" on "actor" ("createdAt", "did")"#,
        #"create table "account" ("did" varchar primary key, "email" varchar not null, "passwordScrypt" varchar not null, "emailConfirmedAt" varchar, "invitesDisabled" int2 default 0 not null)"#,
        #"create unique index "account_email_lower_idx" on "account" (lower("email"))"#,
        #"create table "email_token" ("purpose" varchar not null, "did" varchar not null, "token" varchar not null, "requestedAt" varchar not null, constraint "email_token_pkey" primary key ("purpose", "did"), constraint "email_token_purpose_token_unique" unique ("purpose", "token"))"#,
    ]

    static let deactivation002 = [
        #"alter table "actor" add column "deactivatedAt" varchar"#,
        #"alter table "actor" add column "deleteAfter" varchar"#,
    ]

    static let privilegedAppPasswords003 = [
        #"alter table "app_password" add column "privileged" integer default 0 not null"#
    ]

    static let oauth004 = [
        #"create table "authorization_request" ("id" varchar primary key, "did" varchar, "deviceId" varchar, "clientId" varchar not null, "clientAuth" varchar not null, "parameters" varchar not null, "expiresAt" varchar not null, "code" varchar)"#,
        #"create unique index "authorization_request_code_idx" on "authorization_request" ("code" desc) where "code" is not null"#,
        #"create index "authorization_request_expires_at_idx" on "authorization_request" ("expiresAt")"#,
        #"create table "device" ("id" varchar primary key, "sessionId" varchar not null, "userAgent" varchar, "ipAddress" varchar not null, "lastSeenAt" varchar not null, constraint "device_session_id_idx" unique ("sessionId"))"#,
        #"create table "device_account" ("did" varchar not null, "deviceId" varchar not null, "authenticatedAt" varchar not null, "remember" boolean not null, "authorizedClients" varchar not null, constraint "device_account_pk" primary key ("deviceId", "did"), constraint "device_account_device_id_fk" foreign key ("deviceId") references "device" ("id") on delete cascade on update cascade)"#,
        #"create table "token" ("id" integer primary key autoincrement, "did" varchar not null, "tokenId" varchar not null, "createdAt" varchar not null, "updatedAt" varchar not null, "expiresAt" varchar not null, "clientId" varchar not null, "clientAuth" varchar not null, "deviceId" varchar, "parameters" varchar not null, "details" varchar, "code" varchar, "currentRefreshToken" varchar, constraint "token_current_refresh_token_unique_idx" unique ("currentRefreshToken"), constraint "token_id_unique_idx" unique ("tokenId"))"#,
        #"create index "token_did_idx" on "token" ("did")"#,
        #"create unique index "token_code_idx" on "token" ("code" desc) where "code" is not null"#,
        #"create table "used_refresh_token" ("refreshToken" varchar primary key, "tokenId" integer not null, constraint "used_refresh_token_fk" foreign key ("tokenId") references "token" ("id") on delete cascade on update cascade)"#,
        #"create index "used_refresh_token_id_idx" on "used_refresh_token" ("tokenId")"#,
    ]

    static let oauthAccountManagement005 = [
        #"create table "account_device" ("did" varchar not null, "deviceId" varchar not null, "createdAt" varchar not null, "updatedAt" varchar not null, constraint "account_device_pk" primary key ("deviceId", "did"), constraint "account_device_account_fk" foreign key ("did") references "account" ("did") on delete cascade on update cascade, constraint "account_device_device_fk" foreign key ("deviceId") references "device" ("id") on delete cascade on update cascade)"#,
        #"create index "account_device_did_idx" on "account_device" ("did")"#,
        #"insert into "account_device" ("did", "deviceId", "createdAt", "updatedAt") select "did", "deviceId", "authenticatedAt", "authenticatedAt" from "device_account" where "remember" = 1"#,
        #"create table "authorized_client" ("did" varchar not null, "clientId" varchar not null, "createdAt" varchar not null, "updatedAt" varchar not null, "data" varchar not null, constraint "authorized_client_pk" primary key ("did", "clientId"), constraint "authorized_client_account_fk" foreign key ("did") references "account" ("did") on delete cascade on update cascade)"#,
    ]

    static let oauthPermissionSets006 = [
        #"alter table "token" add column "scope" varchar"#,
        #"create table "lexicon" ("nsid" varchar primary key, "createdAt" varchar not null, "updatedAt" varchar not null, "lastSucceededAt" varchar, "uri" varchar, "lexicon" varchar)"#,
    ]

    static let lexiconFailuresIndex007 = [
        #"create index "lexicon_failures_idx" on "lexicon" ("updatedAt" desc) where "lexicon" is null"#
    ]
}
