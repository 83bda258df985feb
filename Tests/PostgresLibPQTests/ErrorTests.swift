import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

@Suite("Server errors come back typed, without leaking values")
struct ErrorTests {
    private func schema(_ client: PostgresClient) async throws {
        try await client.withConnection { connection in
            try await connection.execute(unsafeScript: """
                CREATE TABLE entities (id int PRIMARY KEY, code text NOT NULL CONSTRAINT entities_code_key UNIQUE);
                CREATE TABLE staff (
                    id int PRIMARY KEY,
                    entity_id int NOT NULL CONSTRAINT staff_entity_fk REFERENCES entities (id),
                    hours int NOT NULL CONSTRAINT staff_hours_range CHECK (hours BETWEEN 0 AND 60)
                );
                INSERT INTO entities VALUES (1, 'DEP-FIN');
                """)
        }
    }

    private func serverError(_ work: () async throws -> Void) async -> PostgresError? {
        do {
            try await work()
            return nil
        } catch let error as PostgresError {
            return error
        } catch {
            return nil
        }
    }

    @Test func uniqueViolationNamesItsConstraint() async throws {
        try await TestDatabase.withClient { client in
            try await schema(client)
            let error = await serverError { try await client.query("INSERT INTO entities VALUES (2, \("DEP-FIN"))") }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.constraint == "entities_code_key")
            #expect(error?.table == "entities")
            // The detail quotes the value; the description must not.
            #expect(error?.detail?.contains("DEP-FIN") == true)
            #expect(error.map { String(describing: $0) }?.contains("DEP-FIN") == false)
        }
    }

    @Test func foreignKeyAndCheckViolations() async throws {
        try await TestDatabase.withClient { client in
            try await schema(client)
            let foreignKey = await serverError { try await client.query("INSERT INTO staff VALUES (1, \(99), 38)") }
            #expect(foreignKey?.sqlState == .foreignKeyViolation)
            #expect(foreignKey?.constraint == "staff_entity_fk")
            let check = await serverError { try await client.query("INSERT INTO staff VALUES (1, 1, \(61))") }
            #expect(check?.sqlState == .checkViolation)
            #expect(check?.constraint == "staff_hours_range")
            let notNull = await serverError { try await client.query("INSERT INTO staff VALUES (1, 1, \(Int?.none))") }
            #expect(notNull?.sqlState == .notNullViolation)
            #expect(notNull?.column == "hours")
        }
    }

    @Test func syntaxErrorAndUnknownTable() async throws {
        try await TestDatabase.withClient { client in
            let syntax = await serverError { try await client.query("SELEC 1") }
            #expect(syntax?.sqlState == .syntaxError)
            let table = await serverError { try await client.query("SELECT * FROM nowhere") }
            #expect(table?.sqlState == .undefinedTable)
            // After errors outside a transaction the pooled connection is still good.
            let rows = try await client.query("SELECT 1 AS one")
            #expect(try rows[0].decode(0, as: Int.self) == 1)
        }
    }

    @Test func badTextInputIsAServerErrorNotACrash() async throws {
        try await TestDatabase.withClient { client in
            let error = await serverError { try await client.query("SELECT \("not a number")::int") }
            #expect(error?.sqlState == .invalidTextRepresentation)
            let nul = await serverError { try await client.query("SELECT \("a\u{0}b")::text") }
            #expect(nul?.kind == .server)
        }
    }
}
