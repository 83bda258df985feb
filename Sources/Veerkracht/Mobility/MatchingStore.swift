import Foundation
import PostgresLibPQ

/// An offer as a ranking or a round shows it, beside what the engine reads of it.
public struct MatchableOffer: Sendable {
    public var summary: OfferSummary
    public var match: MatchOffer
}

/// A candidate as a ranking or a round shows them, beside what the engine reads of them.
public struct MatchableCandidate: Sendable {
    public var employeeID: UUID
    public var givenName: String
    public var familyName: String
    public var trajectoryID: UUID?
    public var match: MatchCandidate
}

/// Reads both sides of the marketplace in the shape the matching engine takes, in id order
/// (so that identical data gives identical rankings and rounds).
public struct MatchingStore: Sendable {
    public init() {}

    /// Which candidates to read.
    public struct CandidateSelection: Sendable {
        /// Only these staff members (nil: all).
        public var employeeIDs: [UUID]?
        /// Only those who agreed to be seen by HR (the trajectory's consent, or their own request).
        public var consentingOnly = true
        /// Leave out those who hold a position in a placement now.
        public var excludePlaced = false
        /// Leave out, in SQL, those who cannot fit this offer on grade, date, hours or a
        /// required competency: a cheap superset of the engine's verdict, which stays the judge.
        public var mayFit: MatchOffer?
        public init(employeeIDs: [UUID]? = nil, consentingOnly: Bool = true, excludePlaced: Bool = false, mayFit: MatchOffer? = nil) {
            self.employeeIDs = employeeIDs
            self.consentingOnly = consentingOnly
            self.excludePlaced = excludePlaced
            self.mayFit = mayFit
        }
    }

    public func candidates(_ selection: CandidateSelection, on connection: PostgresConnection) async throws -> [MatchableCandidate] {
        let areas = try await postalAreas(on: connection)
        var query: PostgresQuery = """
            SELECT e.id, e.entity_id, e.given_name, e.family_name, e.grade, t.id AS trajectory_id,
                cp.good_at, cp.likes_doing, cp.finds_important, cp.preferred_postcodes, cp.max_travel_minutes::int AS max_travel,
                cp.max_hours_per_week, cp.available_from, cp.telework_days_wanted::int AS telework,
                coalesce(cc.codes, '{}') AS codes, coalesce(cc.levels, '{}') AS levels,
                fr.physical_load, fr.emotional_load, fr.customer_contact, fr.shift_or_night_work, fr.travel, fr.screen_work
            FROM candidate_profiles cp
            JOIN employees e ON e.id = cp.employee_id AND e.active
            LEFT JOIN trajectories t ON t.employee_id = e.id AND t.status <> 'closed'
            LEFT JOIN functional_restrictions fr ON fr.employee_id = e.id
            LEFT JOIN LATERAL (
                SELECT array_agg(c.code ORDER BY c.code) AS codes, array_agg(c.level::int ORDER BY c.code) AS levels
                FROM candidate_competencies c WHERE c.employee_id = cp.employee_id) cc ON true
            WHERE true
            """
        if let ids = selection.employeeIDs { query.append(" AND e.id = ANY(\(ids))") }
        if selection.consentingOnly {
            query.append(" AND CASE WHEN t.id IS NULL THEN cp.requested_move ELSE t.consent_visible_to_hr END")
        }
        if selection.excludePlaced {
            query.append("""
                 AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.employee_id = e.id
                    AND p.status IN ('host_accepted', 'released', 'started'))
                """)
        }
        if let offer = selection.mayFit {
            let required = offer.competencies.filter(\.required)
            // Hours as the engine allows them: all of the offer's, or half with reduced hours on offer.
            let hours = offer.adaptations.contains(.reducedHours) ? offer.hoursPerWeek / 2 : offer.hoursPerWeek
            query.append("""
                 AND (cardinality(\(Array(offer.gradesAccepted))::text[]) = 0 OR e.grade = ANY(\(Array(offer.gradesAccepted))))
                 AND (cp.available_from IS NULL OR cp.available_from <= \(offer.startsOn))
                 AND (cp.max_hours_per_week IS NULL OR cp.max_hours_per_week >= \(hours - 1e-9))
                 AND NOT EXISTS (
                    SELECT 1 FROM unnest(\(required.map(\.code)), \(required.map(\.level))) AS r(code, level)
                    WHERE NOT EXISTS (SELECT 1 FROM candidate_competencies c
                        WHERE c.employee_id = cp.employee_id AND c.code = r.code AND c.level >= r.level))
                """)
        }
        query.append(" ORDER BY e.id")
        return try await connection.query(query).map { row in
            var restrictions: [WorkDemand: DemandLevel] = [:]
            for (demand, column) in CandidateStore.restrictionColumns {
                if let level = try row.decode(column, as: DemandLevel?.self) { restrictions[demand] = level }
            }
            let codes = try row.decode("codes", as: [String].self)
            let levels = try row.decode("levels", as: [Int32].self)
            let postcodes = try row.decode("preferred_postcodes", as: [String].self)
            let id = try row.decode("id", as: UUID.self)
            return MatchableCandidate(
                employeeID: id, givenName: try row.decode("given_name"), familyName: try row.decode("family_name"),
                trajectoryID: try row.decode("trajectory_id"),
                match: MatchCandidate(
                    id: id, entityID: try row.decode("entity_id"), grade: try row.decode("grade"),
                    competencies: Dictionary(uniqueKeysWithValues: zip(codes, levels.map(Int.init))),
                    goodAt: Set(try row.decode("good_at", as: [String].self)),
                    likesDoing: Set(try row.decode("likes_doing", as: [String].self)),
                    findsImportant: Set(try row.decode("finds_important", as: [String].self)),
                    preferredLocations: postcodes.compactMap { Self.point(of: $0, in: areas) },
                    maxTravelMinutes: try row.decode("max_travel", as: Int?.self),
                    maxHoursPerWeek: try row.decode("max_hours_per_week"), availableFrom: try row.decode("available_from"),
                    teleworkDaysWanted: try row.decode("telework", as: Int?.self), restrictions: restrictions))
        }
    }

    /// Which offers to read.
    public struct OfferSelection: Sendable {
        public var offerIDs: [UUID]?
        /// Only offers of these host entities (nil: any).
        public var hostEntityIDs: [UUID]?
        /// Only offers visible to this entity (an officer's candidate's).
        public var visibleToEntity: UUID?
        public var statuses: [OfferStatus] = [.open]
        /// Leave out, in SQL, offers this candidate cannot fit on grade, date, hours or a
        /// required competency (a superset of the engine's verdict, as for candidates).
        public var mayFit: MatchCandidate?
        public init(
            offerIDs: [UUID]? = nil, hostEntityIDs: [UUID]? = nil, visibleToEntity: UUID? = nil, statuses: [OfferStatus] = [.open],
            mayFit: MatchCandidate? = nil
        ) {
            self.offerIDs = offerIDs
            self.hostEntityIDs = hostEntityIDs
            self.visibleToEntity = visibleToEntity
            self.statuses = statuses
            self.mayFit = mayFit
        }
    }

    public func offers(_ selection: OfferSelection, on connection: PostgresConnection) async throws -> [MatchableOffer] {
        let areas = try await postalAreas(on: connection)
        let below = try await entitiesBelow(on: connection)
        var query: PostgresQuery = "SELECT \(unsafeRaw: OfferStore.columns) FROM offers o WHERE o.status = ANY(\(selection.statuses))"
        if let ids = selection.offerIDs { query.append(" AND o.id = ANY(\(ids))") }
        if let hosts = selection.hostEntityIDs { query.append(" AND o.host_entity_id = ANY(\(hosts))") }
        if let entity = selection.visibleToEntity { query.append(" AND \(fragment: OfferStore.visible(to: [entity]))") }
        if let candidate = selection.mayFit {
            let competencies = candidate.competencies.sorted { $0.key < $1.key }
            query.append("""
                 AND (cardinality(o.grades_accepted) = 0 OR \(candidate.grade) = ANY(o.grades_accepted))
                 AND (\(candidate.availableFrom)::date IS NULL OR o.starts_on >= \(candidate.availableFrom))
                 AND (\(candidate.maxHoursPerWeek)::float8 IS NULL OR o.hours_per_week <= \(candidate.maxHoursPerWeek) + 1e-9
                      OR ('reduced_hours' = ANY(o.adaptations) AND o.hours_per_week / 2 <= \(candidate.maxHoursPerWeek) + 1e-9))
                 AND NOT EXISTS (
                    SELECT 1 FROM offer_competencies oc WHERE oc.offer_id = o.id AND oc.required
                      AND NOT EXISTS (SELECT 1 FROM unnest(\(competencies.map(\.key)), \(competencies.map(\.value))) AS c(code, level)
                          WHERE c.code = oc.code AND c.level >= oc.level))
                """)
        }
        query.append(" ORDER BY o.id")
        return try await connection.query(query).map { row in
            let offer = try OfferStore.offer(from: row)
            return MatchableOffer(summary: offer.summary, match: offer.matchOffer(site: Self.point(of: offer.terms.postcode, in: areas), below: below))
        }
    }

    /// Coordinates of Belgian postcodes by their first two digits.
    func postalAreas(on connection: PostgresConnection) async throws -> [Int: GeoPoint] {
        let rows = try await connection.query("SELECT prefix::int, latitude, longitude FROM postal_areas")
        var areas: [Int: GeoPoint] = [:]
        for row in rows {
            let (prefix, latitude, longitude) = try row.decode((Int, Double, Double).self)
            areas[prefix] = GeoPoint(latitude: latitude, longitude: longitude)
        }
        return areas
    }

    static func point(of postcode: String, in areas: [Int: GeoPoint]) -> GeoPoint? {
        Int(postcode.prefix(2)).flatMap { areas[$0] }
    }

    /// Every entity with all the entities below it (itself included).
    func entitiesBelow(on connection: PostgresConnection) async throws -> [UUID: Set<UUID>] {
        var children: [UUID: [UUID]] = [:]
        var all: [UUID] = []
        for row in try await connection.query("SELECT id, parent_id FROM entities") {
            let (id, parent) = try row.decode((UUID, UUID?).self)
            all.append(id)
            if let parent { children[parent, default: []].append(id) }
        }
        var below: [UUID: Set<UUID>] = [:]
        for root in all {
            var reached: Set<UUID> = [root]
            var stack = [root]
            while let next = stack.popLast() {
                for child in children[next] ?? [] where reached.insert(child).inserted { stack.append(child) }
            }
            below[root] = reached
        }
        return below
    }
}

extension Offer {
    public var summary: OfferSummary { OfferSummary(id: id, reference: reference, title: terms.title, hostEntityID: hostEntityID) }

    /// The offer as the engine reads it; `below` expands its visibility to sub-entities.
    func matchOffer(site: GeoPoint?, below: [UUID: Set<UUID>]) -> MatchOffer {
        MatchOffer(
            id: id, hostEntityID: hostEntityID,
            visibleToEntityIDs: terms.visibleToEntityIDs.map { ids in ids.reduce(into: Set<UUID>()) { $0.formUnion(below[$1] ?? [$1]) } },
            competencies: terms.competencies, talentTags: Set(terms.talentTags), gradesAccepted: Set(terms.gradesAccepted),
            hoursPerWeek: terms.hoursPerWeek, startsOn: terms.startsOn, endsOn: terms.endsOn, site: site,
            teleworkDays: terms.teleworkDays, demands: terms.demands, adaptations: Set(terms.adaptations),
            positions: max(terms.positions - positionsTaken, 0))
    }
}
