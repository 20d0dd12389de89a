import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// `com.atproto.server.deleteSession`: revokes the presented refresh token (expired ones too).
    func deleteSession(_ request: Request) async throws {
        let presented = try auth.refresh(request, allowExpired: true)
        try await serviceDB.deleteRefreshToken(id: presented.id)
    }
}
