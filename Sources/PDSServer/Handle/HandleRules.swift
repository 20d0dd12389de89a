import ActorStore
import ATCore
import ATCrypto
import Foundation
import Hummingbird
import Identity
import ServiceDB

/// The reference's handle policy for account creation (`normalizeAndValidateHandle`).
///
/// - Note: the reference's explicit-slur check is not implemented.
struct HandleRules: Sendable {
    /// `PDS_SERVICE_HANDLE_DOMAINS`, each starting with `.`.
    let serviceDomains: [String]

    /// The service domain `handle` is under, if any.
    func serviceDomain(of handle: Handle) -> String? {
        serviceDomains.first { handle.rawValue.hasSuffix($0.lowercased()) }
    }

    /// Whether `handle` is under one of the service domains.
    func isServiceHandle(_ handle: Handle) -> Bool { serviceDomain(of: handle) != nil }

    /// Lower-cases and validates a handle for a new account.
    /// - Parameters:
    ///   - raw: the handle asked for.
    ///   - allowReserved: accept names of ``ReservedHandles`` (the reference's `allowAnyValid`, used by
    ///     `com.atproto.admin.updateAccountHandle`).
    /// - Throws: 400 `InvalidHandle`, `UnsupportedDomain`, or `HandleNotAvailable` "Reserved handle" for a name of
    ///   ``ReservedHandles`` directly under a service domain.
    func normalizeAndValidate(_ raw: String, allowReserved: Bool = false) throws(XRPCError) -> Handle {
        let handle: Handle
        do {
            handle = try Handle(raw.trimmingCharacters(in: .whitespaces))
        } catch {
            throw .invalidRequest(error.description, name: XRPCErrorName.invalidHandle)
        }
        if handle.isDisallowedTLD { throw .invalidRequest("Handle TLD is invalid or disallowed", name: XRPCErrorName.invalidHandle) }
        guard let domain = serviceDomain(of: handle) else {
            throw .invalidRequest("Not a supported handle domain", name: XRPCErrorName.unsupportedDomain)
        }
        let front = handle.rawValue.dropLast(domain.count)
        if front.contains(".") { throw .invalidRequest("Invalid characters in handle", name: XRPCErrorName.invalidHandle) }
        if front.count < 3 { throw .invalidRequest("Handle too short", name: XRPCErrorName.invalidHandle) }
        if front.count > 18 { throw .invalidRequest("Handle too long", name: XRPCErrorName.invalidHandle) }
        if !allowReserved && ReservedHandles.contains(front) {
            throw .invalidRequest("Reserved handle", name: XRPCErrorName.handleNotAvailable)
        }
        return handle
    }
}
