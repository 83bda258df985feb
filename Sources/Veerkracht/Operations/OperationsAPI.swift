import Foundation
import OpenAPIRuntime
import PostgresLibPQ
import ServiceLifecycle
import VeerkrachtAPI

/// Health, metrics and the specification: public, for load balancers and Prometheus.
extension VeerkrachtAPIService {
    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        let health = await checkHealth()
        return health.status == .down ? .serviceUnavailable(.init(body: .json(health))) : .ok(.init(body: .json(health)))
    }

    func getLiveness(_ input: Operations.GetLiveness.Input) async throws -> Operations.GetLiveness.Output {
        // Alive means the process serves requests; the database is readiness's business.
        .ok(.init(body: .json(.init(status: .up))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        let health = await checkHealth()
        // A server that is shutting down takes no new work: the load balancer should move on.
        if Task.isShuttingDownGracefully || health.status == .down {
            return .serviceUnavailable(.init(body: .json(.init(status: .down, checks: health.checks))))
        }
        return .ok(.init(body: .json(health)))
    }

    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        return .ok(.init(body: .plainText(HTTPBody(buffer))))
    }

    func getOpenAPISpec(_ input: Operations.GetOpenAPISpec.Input) async throws -> Operations.GetOpenAPISpec.Output {
        .ok(.init(body: .yaml(HTTPBody(specification.yaml))))
    }

    /// DOWN when the database does not answer within two seconds, DEGRADED when it is slow.
    private func checkHealth() async -> Components.Schemas.Health {
        let started = ContinuousClock.now
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await database.query("SELECT 1")) != nil }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let status: Components.Schemas.HealthStatus = !answered ? .down : milliseconds > 500 ? .degraded : .up
        return .init(status: status, checks: .init(database: .init(status: status, latencyMs: answered ? milliseconds : nil)))
    }
}
