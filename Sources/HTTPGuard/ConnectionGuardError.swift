import NIOCore
import NIOHTTP1

/// Why the connection guard ended a request whose body was still being read: the handler reading it sees this error
/// instead of a body that merely stops.
package struct ConnectionGuardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status that describes it (`408` for a body arriving too slowly).
    package let status: Int
    /// What happened, for people.
    package let message: String

    package var description: String { message }
}

extension ConnectionGuardError {
    /// The client's fault behind an error a handler saw while reading its request: a body the guard cut off, framing
    /// the decoder could not parse (bad chunk sizes), or the connection ending mid-body. `nil` for anything else.
    ///
    /// These are answered as client errors (4xx) and logged at debug, never as unhandled server errors.
    /// - Parameters:
    ///   - error: what the handler threw.
    package static func clientFault(_ error: any Error) -> ConnectionGuardError? {
        switch error {
        case let error as ConnectionGuardError:
            return error
        case let error as HTTPParserError:
            let (status, message) = GuardResponse.forParseError(error)
            return ConnectionGuardError(status: Int(status.code), message: message)
        case let error as ChannelError where [.eof, .inputClosed, .ioOnClosedChannel, .alreadyClosed].contains(error):
            return ConnectionGuardError(status: 400, message: "The client closed the connection mid-request")
        default:
            return nil
        }
    }
}
