import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing
@testable import Veerkracht

/// The batched writer of read audits, against PostgreSQL as the application role.
@Suite struct AuditWriterTests {
    private static func entry(_ actor: UUID, _ trajectory: UUID, request: String, roles: [Role] = [.officer]) -> AuditEntry {
        AuditEntry(
            actorID: actor, actorRoles: roles, action: .read, resourceType: .trajectory, resourceID: trajectory,
            trajectoryID: trajectory, requestID: request, outcome: .allowed)
    }

    @Test func everyConcurrentAppendIsCommittedBeforeItReturns() async throws {
        try await TestApp.with { app in
            let writer = AuditWriter(database: app.client)
            let actor = app.admin.id
            // Each append that returns hands its request id and entry count to one checker, which looks on its own
            // connection: 200 checks waiting for the 4-connection pool would time out on a loaded machine.
            let (returned, announce) = AsyncStream.makeStream(of: (request: String, count: Int).self)
            let checker = Task {
                try await app.client.withConnection { connection in
                    var unseen: [String] = []
                    for await append in returned {
                        let written = try await connection.query("SELECT count(*) FROM audit_log WHERE request_id = \(append.request)")[0]
                            .decode(0, as: Int64.self)
                        if written != Int64(append.count) { unseen.append(append.request) }
                    }
                    return unseen
                }
            }
            // 200 requests at once, with different sets of roles: they share batches.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let roles: [Role] = index.isMultiple(of: 2) ? [.officer] : [.auditor, .physician]
                        let entries = (0..<(index % 3 + 1)).map { _ in Self.entry(actor, UUID.random(), request: "r\(index)", roles: roles) }
                        try await writer.append(entries)
                        announce.yield((request: "r\(index)", count: entries.count))
                    }
                }
                try await group.waitForAll()
            }
            announce.finish()
            let unseen = try await checker.value
            #expect(unseen.isEmpty, "appends that returned before their entries were committed")
            let rows = try await app.client.query("""
                SELECT count(*), count(*) FILTER (WHERE actor_roles = '{auditor,physician}') FROM audit_log WHERE request_id LIKE 'r%'
                """)[0].decode((Int64, Int64).self)
            // index % 3 + 1 entries each: 67·1 + 67·2 + 66·3 = 399; the odd requests' roles kept.
            #expect(rows.0 == 399)
            #expect(rows.1 > 0)
        }
    }

    @Test func aFailedWriteWritesNothingAndTheWriterGoesOn() async throws {
        try await TestApp.with { app in
            let writer = AuditWriter(database: app.client)
            // A request id over the table's 200-character limit fails the statement.
            let bad = Self.entry(app.admin.id, UUID.random(), request: String(repeating: "x", count: 201))
            await #expect(throws: PostgresError.self) { try await writer.append([Self.entry(app.admin.id, UUID.random(), request: "ok"), bad]) }
            let written = try await app.client.query("SELECT count(*) FROM audit_log WHERE request_id = 'ok'")[0].decode(0, as: Int64.self)
            #expect(written == 0)
            // The writer goes on after a failure.
            try await writer.append(Self.entry(app.admin.id, UUID.random(), request: "after"))
            let after = try await app.client.query("SELECT count(*) FROM audit_log WHERE request_id = 'after'")[0].decode(0, as: Int64.self)
            #expect(after == 1)
        }
    }
}
