import Foundation

/// One-way travel time between two points without a route planner: the great-circle
/// (haversine) distance times a road factor, at an average speed, plus a fixed overhead.
public struct TravelEstimate: Sendable, Hashable {
    /// Roads are about 30 % longer than the straight line in a dense road network such as
    /// Belgium's or the Netherlands'.
    public var roadFactor: Double
    /// A mix of town and motorway driving, or of train and bus, door to door.
    public var averageSpeedKilometresPerHour: Double
    /// Walking to the car or the station, parking, waiting: paid even for the shortest trip.
    public var overheadMinutes: Double

    public init(roadFactor: Double = 1.3, averageSpeedKilometresPerHour: Double = 50, overheadMinutes: Double = 10) {
        self.roadFactor = roadFactor
        self.averageSpeedKilometresPerHour = averageSpeedKilometresPerHour
        self.overheadMinutes = overheadMinutes
    }

    /// Factor 1.3, 50 km/h, 10 minutes.
    public static let standard = TravelEstimate()

    /// Whole minutes, rounded to the nearest.
    public func minutes(from: GeoPoint, to: GeoPoint) -> Int {
        minutes(chordSquared: GeoUnitVector(from).chordSquared(to: GeoUnitVector(to)))
    }

    /// The mean Earth radius (IUGG), in kilometres.
    static let earthRadius = 6371.0088
    /// Any longer estimate is reported as this, so a nonsense coordinate or speed cannot trap.
    static let longestMinutes = 1_000_000

    /// Minutes from the squared straight chord between two points on the unit sphere: the fast
    /// path precomputes the unit vectors once, and both paths compute minutes only here, so
    /// they agree to the bit.
    func minutes(chordSquared: Double) -> Int {
        // The haversine distance: the chord is 2·sin(θ/2), so θ = 2·asin(chord / 2).
        let halfChord = min(1, chordSquared.squareRoot() / 2)
        let kilometres = 2 * Self.earthRadius * asin(halfChord)
        let raw = overheadMinutes + kilometres * roadFactor / averageSpeedKilometresPerHour * 60
        guard raw < Double(Self.longestMinutes) else { return Self.longestMinutes }
        return raw > 0 ? Int(raw.rounded()) : 0
    }

    /// A squared chord beyond which the estimate is surely above `limit` minutes, so the fast
    /// path can refuse a far location without the square root and arcsine. Generous by a
    /// relative 1e-6: it only has to be safe, the exact estimate decides the rest.
    func chordSquaredBound(withinMinutes limit: Int) -> Double {
        guard roadFactor > 0, averageSpeedKilometresPerHour > 0 else { return .infinity }
        // Rounding to the nearest minute gives at most `limit` while the raw value is below limit + 0.5.
        let kilometres = (Double(limit) + 0.5 - overheadMinutes) * averageSpeedKilometresPerHour / 60 / roadFactor
        guard kilometres.isFinite else { return .infinity }
        guard kilometres > 0 else { return 1e-12 }
        let angle = kilometres / Self.earthRadius
        guard angle < .pi else { return .infinity }
        let chord = 2 * sin(angle / 2)
        return chord * chord * (1 + 1e-6) + 1e-12
    }
}

/// A point on the unit sphere: distances between points so given need no trigonometry.
struct GeoUnitVector: Sendable, Hashable {
    var x: Double
    var y: Double
    var z: Double

    init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    init(_ point: GeoPoint) {
        let latitude = point.latitude * .pi / 180
        let longitude = point.longitude * .pi / 180
        x = cos(latitude) * cos(longitude)
        y = cos(latitude) * sin(longitude)
        z = sin(latitude)
    }

    func chordSquared(to other: GeoUnitVector) -> Double {
        let dx = x - other.x
        let dy = y - other.y
        let dz = z - other.z
        return dx * dx + dy * dy + dz * dz
    }
}
