import ArgumentParser

@main
struct Benchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "VeerkrachtBenchmarks",
        abstract: "Measures Veerkracht against pgbench on the same PostgreSQL server.",
        subcommands: [PoolBenchmark.self, HTTPBenchmark.self, CaseBenchmark.self],
        defaultSubcommand: PoolBenchmark.self)
}
