import Foundation
import HummingbirdTesting
import PostgresLibPQ
import Testing
@testable import Veerkracht

/// The rankings leave out, in SQL, pairs that cannot fit: that must never change a ranking.
@Suite("Mobility: the SQL pre-filter of rankings")
struct PrefilterTests {
    @Test func rankingsWithThePrefilterEqualTheEnginesOwnOnRandomData() async throws {
        try await MobilityWorld.with { app, client, world in
            var random = SeededRandom(seed: 20261204)
            let codes = ["policyAnalysis", "dataAnalysis", "legalDrafting", "projectManagement"]
            let grades = ["A1", "A2", "B1", "C1"]
            let db = app.client
            for index in 0..<60 {
                let employee = try await db.query("""
                    INSERT INTO employees (personnel_number, given_name, family_name, entity_id, weekly_hours, grade)
                    VALUES (\("R-\(index)"), 'R', 'R', \(world.north), 38, \(index % 7 == 0 ? nil : grades[random.below(4)])) RETURNING id
                    """)[0].decode(0, as: UUID.self)
                let hours: Double? = random.below(3) == 0 ? nil : Double(10 + random.below(29))
                let from: String? = random.below(3) == 0 ? nil : "2027-0\(1 + random.below(4))-1\(random.below(9))"
                try await db.query("""
                    INSERT INTO candidate_profiles (employee_id, requested_move, max_hours_per_week, available_from, updated_by)
                    VALUES (\(employee), true, \(hours), \(from.flatMap(CalendarDate.init)), \(world.officer.user.id))
                    """)
                for code in codes where random.below(2) == 0 {
                    try await db.query("INSERT INTO candidate_competencies VALUES (\(employee), \(code), \(1 + random.below(5)))")
                }
            }
            var offers: [String] = []
            for index in 0..<12 {
                var body: [String: Any] = [
                    "hoursPerWeek": Double(12 + random.below(26)), "startsOn": "2027-0\(2 + random.below(3))-15", "endsOn": "2027-12-15",
                    "gradesAccepted": random.below(2) == 0 ? [] : [grades[random.below(4)], grades[random.below(4)]].uniqued,
                    "adaptations": random.below(2) == 0 ? ["reducedHours"] : [], "title": "Offer \(index)",
                    "competencies": codes.filter { _ in random.below(2) == 0 }.map { ["code": $0, "level": 1 + random.below(5), "required": random.below(2) == 0] },
                ]
                if (body["competencies"] as! [[String: Any]]).isEmpty { body["competencies"] = [] as [Any] }
                offers.append(try await world.openOffer(client, body))
            }
            let matching = MatchingStore()
            let engine = MatchEngine()
            let (allCandidates, allOffers) = try await db.withConnection { connection in
                (try await matching.candidates(.init(consentingOnly: true), on: connection),
                 try await matching.offers(.init(), on: connection))
            }
            #expect(allOffers.count == 12)
            for offer in allOffers {
                let filtered = try await db.withConnection { try await matching.candidates(.init(consentingOnly: true, mayFit: offer.match), on: $0) }
                let expected = engine.rankCandidates(for: offer.match, among: allCandidates.map(\.match)).map(\.candidateID)
                #expect(engine.rankCandidates(for: offer.match, among: filtered.map(\.match)).map(\.candidateID) == expected)
                #expect(filtered.count <= allCandidates.count)
            }
            var fitting = 0
            for candidate in allCandidates {
                let filtered = try await db.withConnection { try await matching.offers(.init(mayFit: candidate.match), on: $0) }
                let expected = engine.rankOffers(for: candidate.match, among: allOffers.map(\.match)).map(\.offerID)
                #expect(engine.rankOffers(for: candidate.match, among: filtered.map(\.match)).map(\.offerID) == expected)
                fitting += expected.count
            }
            // The data must make the comparison mean something: some pairs fit, most do not.
            #expect(fitting > 0 && fitting < allCandidates.count * allOffers.count)
        }
    }
}

/// SplitMix64: reproducible random data for a test.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

extension Array where Element: Hashable {
    var uniqued: [Element] { reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
}
