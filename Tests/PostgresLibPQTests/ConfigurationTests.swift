import PostgresLibPQ
import PostgresTestSupport
import Testing

@Suite("Database URLs")
struct ConfigurationTests {
    @Test func readsEveryPartOfAURL() throws {
        let configuration = try PostgresConfiguration(
            url: "postgres://app:s%40cret@db.example:6543/veerkracht?sslmode=verify-full&application_name=vk-1&connect_timeout=3&statement_timeout=1500")
        #expect(configuration.host == "db.example")
        #expect(configuration.port == 6543)
        #expect(configuration.user == "app")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "veerkracht")
        #expect(configuration.sslMode == .verifyFull)
        #expect(configuration.applicationName == "vk-1")
        #expect(configuration.connectTimeout == 3)
        #expect(configuration.statementTimeout == .milliseconds(1500))
    }

    @Test func acceptsAUnixSocketDirectory() throws {
        let viaQuery = try PostgresConfiguration(url: "postgres://postgres@localhost/postgres?host=/tmp/vk%20pg")
        #expect(viaQuery.host == "/tmp/vk pg")
        let viaHost = try PostgresConfiguration(url: "postgresql://postgres@%2Fvar%2Frun%2Fpostgresql/app")
        #expect(viaHost.host == "/var/run/postgresql")
        #expect(viaHost.database == "app")
    }

    @Test func refusesNonsenseWithoutRepeatingThePassword() {
        let error = #expect(throws: PostgresConfiguration.URLError.self) {
            try PostgresConfiguration(url: "mysql://root:hunter2@db/x")
        }
        #expect(error?.description.contains("hunter2") == false)
        #expect(throws: PostgresConfiguration.URLError.self) {
            try PostgresConfiguration(url: "postgres://db/x?sslmode=sometimes")
        }
    }
}

@Suite("Query building")
struct QueryTests {
    @Test func interpolationBindsAndNumbers() {
        let name = "O'Brien"
        let query: PostgresQuery = "SELECT * FROM staff WHERE name = \(name) AND hours > \(20)"
        #expect(query.sql == "SELECT * FROM staff WHERE name = $1 AND hours > $2")
        #expect(query.bindings.count == 2)
    }

    @Test func appendingRenumbersOnlyRealPlaceholders() {
        var query: PostgresQuery = "SELECT \(1), '$1'"
        query.append(" WHERE a = \(2) AND b = '$1' AND c = \(3)")
        #expect(query.sql == "SELECT $1, '$1' WHERE a = $2 AND b = '$1' AND c = $3")
        var long: PostgresQuery = ""
        for value in 0..<12 { long.append("\(value),") }
        long.append(" \(99)")
        #expect(long.sql == (1...12).map { "$\($0)," }.joined() + " $13")
    }

    @Test func fragmentsInterpolateWithRenumberedParameters() {
        let predicate: PostgresQuery = "(t.entity_id = ANY(\(["e"])) OR t.owner = \("o"))"
        let query: PostgresQuery = "SELECT \(1) FROM t WHERE \(fragment: predicate) AND t.id = \(2)"
        #expect(query.sql == "SELECT $1 FROM t WHERE (t.entity_id = ANY($2) OR t.owner = $3) AND t.id = $4")
        #expect(query.bindings.count == 4)
    }
}

@Suite("Calendar dates")
struct PostgresDateTests {
    @Test func dayNumbersRoundTripAcrossCenturies() {
        #expect(PostgresDate(year: 2000, month: 1, day: 1).daysSince2000 == 0)
        #expect(PostgresDate(year: 1970, month: 1, day: 1).daysSince2000 == -10957)
        #expect(PostgresDate(year: 2000, month: 3, day: 1).daysSince2000 == 60)
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(PostgresDate(daysSince2000: days).daysSince2000 == days)
        }
        #expect(PostgresDate(daysSince2000: -1).description == "1999-12-31")
    }
}
