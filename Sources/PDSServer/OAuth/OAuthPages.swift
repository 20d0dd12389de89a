import ATCore
import Foundation

/// The authorization and account pages: server-rendered HTML, no scripts, no external assets. Every form carries
/// the CSRF token; every field has a label; the layout is one column that fits a phone.
enum OAuthPages {
    /// What the pages show about the app asking.
    struct ClientView {
        var name: String
        var host: String
        var logoHost: String?

        init(_ metadata: OAuthClientMetadata) {
            let host = URLComponents(string: metadata.client_id)?.host ?? metadata.client_id
            name = metadata.client_name?.isEmpty == false ? metadata.client_name! : host
            self.host = host
            logoHost = metadata.logo_uri.flatMap { URLComponents(string: $0)?.host }
        }
    }

    /// The hidden fields that tie a form to its request and session.
    struct FormContext {
        var requestURI: String
        var clientID: String
        var csrf: String

        var hidden: String {
            """
            <input type="hidden" name="request_uri" value="\(escape(requestURI))">
            <input type="hidden" name="client_id" value="\(escape(clientID))">
            <input type="hidden" name="csrf_token" value="\(escape(csrf))">
            """
        }
    }

    static func signIn(
        serviceName: String, client: ClientView, form: FormContext, identifier: String?, error: String?
    ) -> String {
        document(
            title: "Sign in",
            body: """
                <h1>Sign in to \(escape(serviceName))</h1>
                <p class="lead"><strong>\(escape(client.name))</strong> (\(escape(client.host))) wants to use your account.</p>
                \(errorBox(error))
                <form method="post" action="/oauth/authorize/sign-in">
                \(form.hidden)
                <label for="identifier">Handle or email</label>
                <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none"
                  spellcheck="false" required value="\(escape(identifier ?? ""))"\(identifier == nil ? " autofocus" : "")>
                <label for="password">Password</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                  aria-describedby="password-hint"\(identifier == nil ? "" : " autofocus")>
                <p id="password-hint" class="hint">Your account password. App passwords are not accepted here.</p>
                <button type="submit" id="sign-in">Sign in</button>
                </form>
                <form method="post" action="/oauth/authorize/consent">
                \(form.hidden)
                <button type="submit" name="decision" value="deny" class="secondary" id="cancel">Cancel</button>
                </form>
                """)
    }

    static func consent(
        serviceName: String, client: ClientView, form: FormContext, handle: String, did: String, scope: String,
        sets: [String: OAuthPermissionSet] = [:], languages: [String] = []
    ) -> String {
        let items = OAuthPermissionText.describe(scope: scope, sets: sets, languages: languages).map {
            "<li>\(escape($0))</li>"
        }.joined(separator: "\n")
        let logo = client.logoHost.map { "<p class=\"hint\">The app's logo is hosted at \(escape($0)).</p>" } ?? ""
        return document(
            title: "Allow access",
            body: """
                <h1>Allow \(escape(client.name))?</h1>
                <p class="lead">Signed in to \(escape(serviceName)) as <strong>@\(escape(handle))</strong>.</p>
                <p><strong>\(escape(client.name))</strong>, at <strong>\(escape(client.host))</strong>, is asking to:</p>
                <ul class="permissions">
                \(items)
                </ul>
                \(logo)
                <form method="post" action="/oauth/authorize/consent">
                \(form.hidden)
                <input type="hidden" name="did" value="\(escape(did))">
                <div class="actions">
                <button type="submit" name="decision" value="allow" id="allow">Allow</button>
                <button type="submit" name="decision" value="deny" class="secondary" id="deny">Deny</button>
                </div>
                </form>
                """)
    }

    /// One signed-in app on the account page.
    struct SessionView {
        var id: Int64
        var client: String
        var scope: String
        var createdAt: Date
        var lastUsedAt: Date
    }

    /// One signed-in browser on the account page.
    struct DeviceView {
        var id: String
        var userAgent: String
        var ipAddress: String
        var lastSeenAt: Date
        var isThisDevice: Bool
    }

    static func account(
        serviceName: String, handle: String, csrf: String, sessions: [SessionView], devices: [DeviceView],
        notice: String?
    ) -> String {
        let sessionItems =
            sessions.isEmpty
            ? "<p>No apps are signed in.</p>"
            : sessions.map { session in
                """
                <li class="card">
                <h3>\(escape(session.client))</h3>
                <p class="hint">Signed in \(escape(date(session.createdAt))) · last used \(escape(date(session.lastUsedAt)))</p>
                <details><summary>Permissions</summary><ul>\(OAuthPermissionText.describe(scope: session.scope).map { "<li>\(escape($0))</li>" }.joined())</ul></details>
                <form method="post" action="/account/revoke">
                <input type="hidden" name="csrf_token" value="\(escape(csrf))">
                <input type="hidden" name="session" value="\(session.id)">
                <button type="submit" class="secondary" id="sign-out-app-\(session.id)" aria-label="Sign \(escape(session.client)) out">Sign out this app</button>
                </form>
                </li>
                """
            }.joined(separator: "\n")
        let deviceItems = devices.map { device in
            """
            <li class="card">
            <h3>\(escape(browserName(device.userAgent)))\(device.isThisDevice ? " (this browser)" : "")</h3>
            <p class="hint">\(escape(device.ipAddress)) · last seen \(escape(date(device.lastSeenAt)))</p>
            <form method="post" action="/account/sign-out">
            <input type="hidden" name="csrf_token" value="\(escape(csrf))">
            <input type="hidden" name="device" value="\(escape(device.id))">
            <button type="submit" class="secondary">Sign out this browser</button>
            </form>
            </li>
            """
        }.joined(separator: "\n")
        return document(
            title: "Your account",
            body: """
                <h1>@\(escape(handle))</h1>
                <p class="lead">Your account on \(escape(serviceName)).</p>
                \(notice.map { "<p class=\"notice\" role=\"status\">\(escape($0))</p>" } ?? "")
                <h2>Apps</h2>
                <ul class="list">\(sessionItems)</ul>
                <h2>Browsers</h2>
                <ul class="list">\(deviceItems)</ul>
                """)
    }

    static func accountSignIn(serviceName: String, csrf: String, error: String?) -> String {
        document(
            title: "Sign in",
            body: """
                <h1>Sign in to \(escape(serviceName))</h1>
                <p class="lead">Manage the apps and browsers signed in to your account.</p>
                \(errorBox(error))
                <form method="post" action="/account/sign-in">
                <input type="hidden" name="csrf_token" value="\(escape(csrf))">
                <label for="identifier">Handle or email</label>
                <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none"
                  spellcheck="false" required autofocus>
                <label for="password">Password</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required>
                <button type="submit" id="sign-in">Sign in</button>
                </form>
                """)
    }

    static func error(title: String, message: String) -> String {
        document(title: title, body: "<h1>\(escape(title))</h1>\n<p role=\"alert\">\(escape(message))</p>")
    }

    // MARK: - Pieces

    static func errorBox(_ error: String?) -> String {
        error.map { "<p class=\"error\" role=\"alert\" id=\"error\">\(escape($0))</p>" } ?? ""
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM yyyy, HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// A short name for a browser from its user agent.
    static func browserName(_ userAgent: String) -> String {
        let ua = userAgent.lowercased()
        // First match wins: Edge and Chrome user agents also name Safari.
        let browsers = [("firefox", "Firefox"), ("edg/", "Edge"), ("chrom", "Chrome"), ("safari", "Safari")]
        let systems = [
            ("android", "Android"), ("iphone", "iOS"), ("ipad", "iOS"), ("mac os", "macOS"), ("windows", "Windows"),
            ("linux", "Linux"),
        ]
        let browser = browsers.first { ua.contains($0.0) }?.1 ?? "A browser"
        let system = systems.first { ua.contains($0.0) }?.1
        return system.map { "\(browser) on \($0)" } ?? browser
    }

    /// HTML-escapes text for element content and double-quoted attributes.
    static func escape(_ text: String) -> String {
        escapeMarkup(text, apostrophe: .numeric)
    }

    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="same-origin">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>
        """
    }

    static let style = """
        :root { color-scheme: light dark; --fg: #1b1b1f; --bg: #f4f5f8; --card: #fff; --muted: #4a4d57;
          --primary: #0a58ca; --on-primary: #fff; --border: #8a8f9c; --error: #b3261e; }
        @media (prefers-color-scheme: dark) { :root { --fg: #ececf1; --bg: #111217; --card: #1c1d24; --muted: #b8bbc6;
          --primary: #8ab4ff; --on-primary: #0b1a33; --border: #80859a; --error: #ffb4ab; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
          background: var(--bg); }
        main { max-width: 30rem; margin: 0 auto; padding: 2rem 1.25rem; }
        h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .5rem; }
        h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
        h3 { font-size: 1rem; margin: 0; }
        .lead { color: var(--muted); margin-top: 0; }
        label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
        input[type=text], input[type=password] { width: 100%; font: inherit; padding: .7rem .8rem; border-radius: .5rem;
          border: 1px solid var(--border); background: var(--card); color: var(--fg); }
        button { font: inherit; font-weight: 600; padding: .75rem 1.2rem; border-radius: .5rem; border: 2px solid var(--primary);
          background: var(--primary); color: var(--on-primary); cursor: pointer; min-height: 2.75rem; }
        button.secondary { background: transparent; color: var(--primary); }
        form > button, .actions button { width: 100%; margin-top: 1rem; }
        .actions { display: flex; gap: .75rem; flex-wrap: wrap; }
        .actions button { flex: 1 1 10rem; }
        :focus-visible { outline: 3px solid var(--primary); outline-offset: 2px; }
        .hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
        .error { color: var(--error); border: 1px solid var(--error); border-radius: .5rem; padding: .6rem .8rem; }
        .notice { border: 1px solid var(--border); border-radius: .5rem; padding: .6rem .8rem; }
        .permissions li { margin: .35rem 0; }
        ul.list { list-style: none; padding: 0; }
        .card { background: var(--card); border: 1px solid var(--border); border-radius: .75rem; padding: 1rem; margin: .75rem 0; }
        .card form > button { width: auto; margin-top: .75rem; }
        details { margin-top: .5rem; }
        """
}
