import Crypto
import Foundation

/// The secret form of an access token: `vk_<prefix>_<secret>`. The prefix (8 random bytes,
/// hex) is stored and finds the row; of the secret (32 random bytes, base64url) only its
/// SHA-256 is stored.
public struct AccessToken: Sendable, Equatable {
    public var prefix: String
    public var secret: String

    /// A new token from the system's secure random source.
    public static func generate() -> AccessToken {
        var generator = SystemRandomNumberGenerator()
        let prefixBytes = (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secretBytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return AccessToken(
            prefix: prefixBytes.map { String(format: "%02x", $0) }.joined(),
            secret: Data(secretBytes).base64URLEncoded)
    }

    public var bearerValue: String { "vk_\(prefix)_\(secret)" }

    /// Reads a bearer value; nil when it does not have the shape of one of ours.
    public init?(bearerValue: String) {
        let parts = bearerValue.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "vk", parts[1].utf8.count == 16, parts[2].utf8.count == 43,
            parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            parts[2].utf8.allSatisfy({ $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { return nil }
        self.init(prefix: String(parts[1]), secret: String(parts[2]))
    }

    init(prefix: String, secret: String) {
        self.prefix = prefix
        self.secret = secret
    }

    public var secretHash: Data { Data(SHA256.hash(data: Data(secret.utf8))) }

    /// Compares the secret's hash with a stored one in time that does not depend on where
    /// they differ.
    public func matches(storedHash: Data) -> Bool {
        let hash = secretHash
        guard hash.count == storedHash.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(hash, storedHash) { difference |= a ^ b }
        return difference == 0
    }
}

extension Data {
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
