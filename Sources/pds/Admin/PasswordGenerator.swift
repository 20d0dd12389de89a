/// Passwords the admin commands hand out (`account create`, `account reset-password`): 24 random letters and digits
/// (about 143 bits), the length pdsadmin generates.
enum PasswordGenerator {
    /// The alphabet: letters and digits, so the password survives any shell or form.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// A new password.
    static func generate(length: Int = 24) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }
}
