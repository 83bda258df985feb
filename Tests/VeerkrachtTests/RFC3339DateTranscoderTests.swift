import Foundation
import Testing
@testable import Veerkracht

@Suite("RFC 3339 timestamps")
struct RFC3339DateTranscoderTests {
    let transcoder = RFC3339DateTranscoder()

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000000Z"),
        (1_774_746_000.25, "2026-03-29T01:00:00.250000Z"),
        (951_782_400.000001, "2000-02-29T00:00:00.000001Z"),
        (-1.5, "1969-12-31T23:59:58.500000Z"),
        (-2_208_988_800, "1900-01-01T00:00:00.000000Z"),
        (1_700_000_000.9999996, "2023-11-14T22:13:21.000000Z"),
    ])
    func writesUTCWithMicroseconds(seconds: Double, text: String) throws {
        #expect(try transcoder.encode(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func readsWhatItWritesAndOtherOffsets() throws {
        let date = Date(timeIntervalSince1970: 1_792_890_000.123456)
        let back = try transcoder.decode(try transcoder.encode(date))
        #expect(abs(back.timeIntervalSince(date)) < 0.000_001)
        #expect(try transcoder.decode("2026-10-25T03:00:00+02:00") == Date(timeIntervalSince1970: 1_792_890_000))
        #expect(try transcoder.decode("2026-10-25T01:00:00Z") == Date(timeIntervalSince1970: 1_792_890_000))
        #expect(throws: (any Error).self) { try transcoder.decode("yesterday") }
    }
}
