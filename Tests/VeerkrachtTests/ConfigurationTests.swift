import Foundation
import Testing
@testable import Veerkracht

@Suite("Configuration from the environment")
struct ConfigurationTests {
    let sql = ["VEERKRACHT_SQL_DIR": "/opt/veerkracht/sql"]

    @Test func defaultsServeADeveloperMachine() throws {
        let configuration = try Configuration(environment: sql)
        #expect(configuration.databaseURL == nil)
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8080)
        #expect(configuration.databasePoolSize == 10)
        #expect(configuration.maximumBodySize == 1 << 20)
        #expect(configuration.migrateOnStart)
        #expect(configuration.sqlDirectory.path == "/opt/veerkracht/sql")
        #expect(configuration.sweepInterval == .seconds(300))
    }

    @Test func readsEverySetting() throws {
        let configuration = try Configuration(environment: sql.merging([
            "VEERKRACHT_DATABASE_URL": "postgres://app@db:5432/veerkracht",
            "VEERKRACHT_HTTP_HOST": "0.0.0.0", "VEERKRACHT_HTTP_PORT": "9090", "VEERKRACHT_LOG_LEVEL": "DEBUG",
            "VEERKRACHT_DB_POOL_SIZE": "24", "VEERKRACHT_DB_ACQUIRE_TIMEOUT_MS": "750",
            "VEERKRACHT_MAX_BODY_SIZE": "2048", "VEERKRACHT_MIGRATE_ON_START": "false",
            "VEERKRACHT_SWEEP_INTERVAL_SECONDS": "60",
        ]) { $1 })
        #expect(configuration.databaseURL == "postgres://app@db:5432/veerkracht")
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 9090)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.databasePoolSize == 24)
        #expect(configuration.databaseAcquireTimeout == .milliseconds(750))
        #expect(configuration.maximumBodySize == 2048)
        #expect(!configuration.migrateOnStart)
        #expect(configuration.sweepInterval == .seconds(60))
    }

    @Test(arguments: [
        ("VEERKRACHT_HTTP_PORT", "eighty"), ("VEERKRACHT_HTTP_PORT", "70000"), ("VEERKRACHT_DB_POOL_SIZE", "0"),
        ("VEERKRACHT_LOG_LEVEL", "loud"), ("VEERKRACHT_MIGRATE_ON_START", "maybe"),
        ("VEERKRACHT_SWEEP_INTERVAL_SECONDS", "0"),
        ("VEERKRACHT_DATABASE_URL", "mysql://root:hunter2@db/x"),
    ])
    func malformedValuesNameTheVariable(name: String, value: String) {
        let error = #expect(throws: Configuration.Invalid.self) {
            try Configuration(environment: sql.merging([name: value]) { $1 })
        }
        #expect(error?.description.contains(name) == true)
        #expect(error?.description.contains("hunter2") == false)
    }
}
