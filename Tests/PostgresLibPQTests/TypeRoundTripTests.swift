import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

@Suite("Types travel to PostgreSQL and back unchanged")
struct TypeRoundTripTests {
    /// Sends `value` as a parameter, has the server cast it to `sqlType`, and reads it back.
    private func roundTrip<Value: PostgresCodable & Equatable>(
        _ client: PostgresClient, _ value: Value, as sqlType: String
    ) async throws -> Value {
        let rows = try await client.query("SELECT \(value)::\(unsafeRaw: sqlType) AS v")
        return try rows[0].decode("v", as: Value.self)
    }

    private func expectRoundTrip<Value: PostgresCodable & Equatable>(
        _ client: PostgresClient, _ value: Value, as sqlType: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let back = try await roundTrip(client, value, as: sqlType)
        #expect(back == value, sourceLocation: sourceLocation)
    }

    @Test func textIncludingUnicodeEmptyAndLong() async throws {
        try await TestDatabase.withClient { client in
            for text in ["", "Veerkracht", "Ceçi n'est pas één café — Zoë's ☕️ 👩🏽‍⚕️", "line\nbreak\ttab", String(repeating: "é", count: 500_000)] {
                try await expectRoundTrip(client, text, as: "text")
            }
        }
    }

    @Test func integersAtTheirExtremes() async throws {
        try await TestDatabase.withClient { client in
            for value in [Int64.min, -1, 0, 1, Int64.max] {
                try await expectRoundTrip(client, value, as: "int8")
            }
            for value in [Int32.min, -42, Int32.max] {
                try await expectRoundTrip(client, value, as: "int4")
            }
            for value in [Int.min, Int.max] {
                try await expectRoundTrip(client, value, as: "int8")
            }
            // A narrower column widens into Int; a wider value that does not fit is an error.
            let small = try await client.query("SELECT 7::int2 AS a, 2147483648::int8 AS b")
            #expect(try small[0].decode("a", as: Int.self) == 7)
            #expect(throws: PostgresDecodingError.self) { try small[0].decode("b", as: Int32.self) }
        }
    }

    @Test func doublesBoolsAndNumeric() async throws {
        try await TestDatabase.withClient { client in
            for value in [0.0, -1.5, Double.pi, Double.greatestFiniteMagnitude, -Double.infinity, 1e-300] {
                try await expectRoundTrip(client, value, as: "float8")
            }
            #expect(try await roundTrip(client, Double.nan, as: "float8").isNaN)
            try await expectRoundTrip(client, true, as: "bool")
            try await expectRoundTrip(client, false, as: "bool")
            let numeric = try await client.query(
                "SELECT 12345678901234567890.0123::numeric AS a, (-0.5)::numeric AS b, 0::numeric AS c, 100::numeric(10,2) AS d")
            #expect(try numeric[0].decode("a", as: String.self) == "12345678901234567890.0123")
            #expect(try numeric[0].decode("b", as: String.self) == "-0.5")
            #expect(try numeric[0].decode("c", as: String.self) == "0")
            #expect(try numeric[0].decode("d", as: String.self) == "100.00")
            #expect(try numeric[0].decode("d", as: Double.self) == 100)
        }
    }

    @Test func uuidsAndBytes() async throws {
        try await TestDatabase.withClient { client in
            let id = UUID()
            try await expectRoundTrip(client, id, as: "uuid")
            let text = try await client.query("SELECT \(id)::text AS t")
            #expect(try text[0].decode("t", as: String.self) == id.uuidString.lowercased())
            let bytes = Data((0...255).map { UInt8($0) } + [0, 0])
            try await expectRoundTrip(client, bytes, as: "bytea")
            try await expectRoundTrip(client, Data(), as: "bytea")
        }
    }

    @Test func timestampsAcrossDaylightSavingInBrussels() async throws {
        try await TestDatabase.withClient { client in
            // 2026-03-29 01:00 UTC clocks jump from 02:00 to 03:00 in Brussels;
            // 2026-10-25 01:00 UTC they fall back from 03:00 to 02:00.
            let cases: [(Date, String)] = [
                (Date(timeIntervalSince1970: 1_774_745_999), "2026-03-29 01:59:59"),
                (Date(timeIntervalSince1970: 1_774_746_000), "2026-03-29 03:00:00"),
                (Date(timeIntervalSince1970: 1_792_889_999), "2026-10-25 02:59:59"),
                (Date(timeIntervalSince1970: 1_792_890_000), "2026-10-25 02:00:00"),
            ]
            for (instant, brussels) in cases {
                let rows = try await client.query(
                    "SELECT \(instant) AS t, to_char(\(instant) AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD HH24:MI:SS') AS local")
                #expect(try rows[0].decode("t", as: Date.self) == instant)
                #expect(try rows[0].decode("local", as: String.self) == brussels)
            }
            // Microseconds survive; dates long before 1970 too.
            let precise = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let back = try await roundTrip(client, precise, as: "timestamptz")
            #expect(abs(back.timeIntervalSince1970 - precise.timeIntervalSince1970) < 0.000_001)
            let old = try await client.query("SELECT '1901-12-13 20:45:52+00'::timestamptz AS t")
            #expect(try old[0].decode("t", as: Date.self) == Date(timeIntervalSince1970: -2_147_483_648))
            let infinite = try await client.query("SELECT 'infinity'::timestamptz AS t")
            #expect(throws: PostgresDecodingError.self) { try infinite[0].decode("t", as: Date.self) }
        }
    }

    @Test func calendarDatesIncludingBefore1970AndLeapDays() async throws {
        try await TestDatabase.withClient { client in
            let dates = [
                PostgresDate(year: 2000, month: 1, day: 1), PostgresDate(year: 1969, month: 12, day: 31),
                PostgresDate(year: 1900, month: 2, day: 28), PostgresDate(year: 2024, month: 2, day: 29),
                PostgresDate(year: 1, month: 1, day: 1), PostgresDate(year: 9999, month: 12, day: 31),
            ]
            for date in dates {
                try await expectRoundTrip(client, date, as: "date")
                let text = try await client.query("SELECT \(date)::text AS t")
                #expect(try text[0].decode("t", as: String.self) == date.description)
            }
        }
    }

    @Test func arraysOfTextUUIDAndIntegers() async throws {
        try await TestDatabase.withClient { client in
            try await expectRoundTrip(client, ["a", "", "één", "x,y\"z"], as: "text[]")
            #expect(try await roundTrip(client, [String](), as: "text[]") == [])
            let ids = [UUID(), UUID()]
            try await expectRoundTrip(client, ids, as: "uuid[]")
            try await expectRoundTrip(client, [1, -2, Int.max], as: "int8[]")
            #expect(try await roundTrip(client, [Int32(3), 4], as: "int4[]") == [3, 4])
            let contains = try await client.query("SELECT 'b' = ANY(\(["a", "b"])) AS found")
            #expect(try contains[0].decode("found", as: Bool.self))
        }
    }

    @Test func arraysWithNullElementsOnlyAsOptionals() async throws {
        try await TestDatabase.withClient { client in
            let ids: [UUID?] = [UUID(), nil, UUID()]
            try await expectRoundTrip(client, ids, as: "uuid[]")
            let counted = try await client.query("SELECT array_position(\(ids), NULL) AS at")
            #expect(try counted[0].decode("at", as: Int32.self) == 2)
            let rows = try await client.query("SELECT ARRAY['a', NULL] AS a")
            #expect(throws: PostgresDecodingError.self) { try rows[0].decode("a", as: [String].self) }
            #expect(try rows[0].decode("a", as: [String?].self) == ["a", nil])
        }
    }

    struct Preferences: Codable, Equatable, Sendable {
        var channel: String
        var notBefore: String?
        var days: [Int]
    }

    @Test func jsonIntoCodableTypes() async throws {
        try await TestDatabase.withClient { client in
            let value = Preferences(channel: "phone 📞", notBefore: nil, days: [1, 14])
            let stored = try PostgresJSON(value)
            let rows = try await client.query("SELECT \(stored) AS b, \(stored)::json AS j, (\(stored))->>'channel' AS c")
            #expect(try rows[0].decode("b", as: PostgresJSON<Preferences>.self).value == value)
            #expect(try rows[0].decode("j", as: PostgresJSON<Preferences>.self).value == value)
            #expect(try rows[0].decode("c", as: String.self) == "phone 📞")
        }
    }

    @Test func nullsBecomeNilAndNilBecomesNull() async throws {
        try await TestDatabase.withClient { client in
            let missing: String? = nil
            let rows = try await client.query("SELECT \(missing)::text AS a, \(missing) IS NULL AS b, NULL::uuid AS c, 'x'::text AS d")
            #expect(try rows[0].decode("a", as: String?.self) == nil)
            #expect(try rows[0].decode("b", as: Bool.self))
            #expect(try rows[0].decode("c", as: UUID?.self) == nil)
            #expect(try rows[0].decode("d", as: String?.self) == "x")
        }
    }

    @Test func decodingMistakesNameTheColumnAndDoNotCrash() async throws {
        try await TestDatabase.withClient { client in
            let rows = try await client.query("SELECT NULL::text AS nickname, 42 AS answer")
            let null = #expect(throws: PostgresDecodingError.self) { try rows[0].decode("nickname", as: String.self) }
            #expect(null?.reason == .unexpectedNull)
            #expect(null?.column == "nickname")
            let mismatch = #expect(throws: PostgresDecodingError.self) { try rows[0].decode("answer", as: UUID.self) }
            #expect(mismatch?.reason == .typeMismatch)
            #expect(mismatch?.column == "answer")
            let unknown = #expect(throws: PostgresDecodingError.self) { try rows[0].decode("nope", as: Int.self) }
            #expect(unknown?.reason == .noSuchColumn)
            #expect(throws: PostgresDecodingError.self) { try rows[0].decode(5, as: Int.self) }
            #expect(throws: PostgresDecodingError.self) { try rows[0].decode((String?, Int, Int).self) }
            let (nickname, answer) = try rows[0].decode((String?, Int).self)
            #expect(nickname == nil && answer == 42)
        }
    }

    @Test func valuesAreNeverSQL() async throws {
        try await TestDatabase.withClient { client in
            try await client.query("CREATE TABLE people (name text NOT NULL)")
            let attacks = [
                "'; DROP TABLE people; --", "Robert'); DROP TABLE people;--", "$1", "\\'; SELECT pg_sleep(10); --",
                "1 OR 1=1", "\" OR \"\"=\"",
            ]
            for attack in attacks {
                try await client.query("INSERT INTO people (name) VALUES (\(attack))")
            }
            let rows = try await client.query("SELECT name FROM people ORDER BY name")
            #expect(rows.map { try? $0.decode(0, as: String.self) }.compactMap { $0 }.sorted() == attacks.sorted())
            let matches = try await client.query("SELECT count(*) FROM people WHERE name = \("1 OR 1=1")")
            #expect(try matches[0].decode(0, as: Int.self) == 1)
        }
    }

    @Test func queriesComposeWithRenumberedParameters() async throws {
        try await TestDatabase.withClient { client in
            var query: PostgresQuery = "SELECT \(1) + \(2) AS a"
            query.append(", \(10) * \(3) AS b, '$1' AS literal")
            let rows = try await client.query(query)
            #expect(try rows[0].decode((Int, Int, String).self) == (3, 30, "$1"))
        }
    }
}
