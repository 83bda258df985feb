import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connection that writes HTTP/1.1 by hand, for what an HTTP client library
/// will not do: send half a request, or a chunked body. Every read times out.
final class RawHTTPConnection {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    private let descriptor: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port`.
    init(port: Int, timeoutSeconds: Int = 15) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = Self.loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "connect to port \(port): \(message)")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Whether the server has read all that was sent on this connection: its end of the
    /// connection, as /proc/net/tcp lists it, has nothing left in its receive queue. The
    /// barrier for "the request is in the server" that needs no sleep.
    func serverHasReadEverything(serverPort: Int) throws -> Bool {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Failure(description: "getsockname: \(String(cString: strerror(errno)))") }
        let ourPort = Int(UInt16(bigEndian: address.sin_port))
        func hex(_ port: Int) -> String {
            let digits = String(port, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
        // Columns: sl, local address, remote address, state, tx_queue:rx_queue, …; a server
        // listening on IPv6 lists 127.0.0.1 as ::ffff:127.0.0.1, which ends the same way.
        let server = "0100007F:\(hex(serverPort))", client = "0100007F:\(hex(ourPort))"
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: a proc file has no size to read up to.
            guard let handle = FileHandle(forReadingAtPath: file), let data = try handle.readToEnd() else { continue }
            let table = String(decoding: data, as: UTF8.self)
            for line in table.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                guard columns.count > 4, columns[1].hasSuffix(server), columns[2].hasSuffix(client) else { continue }
                return columns[4].split(separator: ":").last.map { Int($0, radix: 16) == 0 } ?? false
            }
        }
        throw Failure(description: "the server's end of the connection is not in /proc/net/tcp")
    }

    func transmit(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            sent += count
        }
    }

    /// Reads one response: up to its Content-Length, or to the end of a chunked body, or
    /// until the server closes the connection.
    func readResponse() throws -> Response {
        var headerEnd: Int?
        while headerEnd == nil {
            try fill()
            headerEnd = find([13, 10, 13, 10])
        }
        let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        buffer.removeFirst(headerEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw Failure(description: "not an HTTP response: \(head)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body: [UInt8] = []
        if let length = headers["content-length"].flatMap(Int.init) {
            while buffer.count < length { try fill() }
            body = Array(buffer.prefix(length))
            buffer.removeFirst(length)
        } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                var lineEnd = find([13, 10])
                while lineEnd == nil {
                    try fill()
                    lineEnd = find([13, 10])
                }
                let sizeText = String(decoding: buffer[..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw Failure(description: "bad chunk size \(sizeText)")
                }
                buffer.removeFirst(lineEnd! + 2)
                while buffer.count < size + 2 { try fill() }
                body += buffer.prefix(size)
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else {
            while (try? fill()) != nil {}
            body = buffer
            buffer = []
        }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// Whether the server closed the connection (reads end of file) within the timeout.
    func isClosedByPeer() -> Bool {
        do {
            while true { try fill() }
        } catch let failure as Failure {
            return failure.description == "closed"
        } catch {
            return false
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count == 0 { throw Failure(description: "closed") }
        guard count > 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
        buffer += chunk.prefix(count)
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for start in 0...(buffer.count - pattern.count) where buffer[start..<start + pattern.count].elementsEqual(pattern) {
            return start
        }
        return nil
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// A TCP port on 127.0.0.1 that nobody listens on right now.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure(description: "bind: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Failure(description: "getsockname: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
