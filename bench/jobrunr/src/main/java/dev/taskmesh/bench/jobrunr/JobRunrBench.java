package dev.taskmesh.bench.jobrunr;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.taskmesh.bench.common.Children;
import dev.taskmesh.bench.common.Options;
import dev.taskmesh.bench.common.PgStats;
import dev.taskmesh.bench.common.Waits;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.jobs.JobId;
import org.jobrunr.scheduling.BackgroundJob;
import org.jobrunr.storage.sql.common.SqlStorageProviderFactory;
import org.jobrunr.utils.mapper.jackson3.Jackson3JsonMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JobRunr side of the benchmark. {@code bench}: starts an embedded PostgreSQL (the same zonky binaries as the
 * Taskmesh launcher, with pg_stat_statements), enqueues no-op jobs from this JVM and runs them on W background job
 * server JVMs ({@code server} mode) with S worker threads each; writes one JSON file.
 */
public final class JobRunrBench {

    private static final String H = PgStats.HARNESS_MARK + " ";

    private final Options options;
    private final Path work;
    private final int tasks;
    private final int reps;
    private final int slots;
    private final int pollMs;
    private final int batchSize;
    private Connection harness;

    private JobRunrBench(Options options) {
        this.options = options;
        this.work = Path.of(options.require("work-dir")).toAbsolutePath();
        this.tasks = options.intValue("tasks", 10_000);
        this.reps = options.intValue("reps", 3);
        this.slots = options.intValue("slots", 4);
        this.pollMs = options.intValue("poll-ms", 5000);
        this.batchSize = options.intValue("batch-size", 1000);
    }

    public static void main(String[] args) throws Exception {
        var options = new Options(args);
        String mode = options.positional().isEmpty() ? "bench" : options.positional().getFirst();
        if (mode.equals("server")) {
            JobRunrServer.run(options);
        } else {
            new JobRunrBench(options).run();
            System.exit(0);
        }
    }

    static HikariDataSource dataSource(String jdbcUrl, int poolSize) {
        var config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername("postgres");
        config.setPassword("postgres");
        config.setMaximumPoolSize(poolSize);
        config.setConnectionTimeout(10_000);
        return new HikariDataSource(config);
    }

    private void run() throws Exception {
        Files.createDirectories(work);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("system", "jobrunr");
        List<Map<String, Object>> throughput = new ArrayList<>();
        List<Map<String, Object>> roundTrip = new ArrayList<>();
        Map<String, Object> dbCost = new LinkedHashMap<>();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(work.resolve("postgres"))
                .setCleanDataDirectory(true)
                .setPort(freePort())
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("shared_preload_libraries", "pg_stat_statements")
                .setPGStartupWait(Duration.ofSeconds(60))
                .start()) {
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE jobrunr");
            }
            String jdbc = postgres.getJdbcUrl("postgres", "jobrunr");
            var stats = new PgStats(postgres.getJdbcUrl("postgres", "postgres"), "postgres", "postgres", "jobrunr");
            HikariDataSource clientPool = dataSource(jdbc, 4);
            JobRunr.configure()
                    .useJsonMapper(new Jackson3JsonMapper())
                    .useStorageProvider(SqlStorageProviderFactory.using(clientPool))
                    .initialize();
            harness = DriverManager.getConnection(jdbc, "postgres", "postgres");
            result.put("versions", Map.of("jobrunr", jobRunrVersion(), "jdk", Runtime.version().toString(),
                    "postgres", stats.facts()));
            result.put("conditions", conditions());

            for (int workers : options.intList("workers", "1,4")) {
                List<Process> servers = startServers(jdbc, workers);
                try {
                    for (String submit : List.of("single", "batch")) {
                        List<Map<String, Object>> runs = new ArrayList<>();
                        for (int rep = 1; rep <= reps; rep++) {
                            Map<String, Object> run = throughput(submit);
                            log("workers=" + workers + " submit=" + submit + " rep=" + rep + ": " + run.get("tasks_per_s")
                                    + " tasks/s (" + run.get("succeeded") + "/" + tasks + ", submit " + run.get("submit_s") + " s)");
                            runs.add(run);
                        }
                        throughput.add(Map.of("variant", Map.of("submit", submit, "workers", workers,
                                "concurrency", slots), "status", "ok", "runs", runs));
                    }
                    if (workers == 1) {
                        List<Map<String, Object>> runs = new ArrayList<>();
                        for (int rep = 1; rep <= reps; rep++) {
                            Map<String, Object> run = roundTrip(options.intValue("rt-tasks", 500),
                                    Duration.ofSeconds(options.intValue("rt-budget-s", 180)));
                            log("round trip rep=" + rep + ": n=" + run.get("n") + " p50=" + run.get("p50_ms") + " ms");
                            runs.add(run);
                        }
                        roundTrip.add(Map.of("variant", Map.of("workers", 1, "concurrency", slots,
                                "mode", "poll jobrunr_jobs.state every 2 ms"), "status", "ok", "runs", runs));
                        dbCost.putAll(dbCost(stats, Math.min(tasks, options.intValue("db-tasks", 1000))));
                        log("db cost: " + dbCost.get("per_task"));
                    }
                } finally {
                    stopServers(servers);
                }
            }
            harness.close();
            JobRunr.destroy();
            clientPool.close();
        }
        result.put("throughput", throughput);
        result.put("round_trip", roundTrip);
        result.put("db_cost", dbCost);
        Path out = Path.of(options.require("out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValue(out.toFile(), result);
        log("wrote " + out);
    }

    private Map<String, Object> conditions() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("storage", "PostgreSQL (embedded, zonky binaries), SqlStorageProviderFactory + HikariCP");
        c.put("json_mapper", "Jackson3JsonMapper");
        c.put("poll_interval_ms", pollMs);
        c.put("poll_interval_note", "JobRunr 8.7.0 refuses less than 5 s (AbstractStorageProvider.validatePollInterval: \"The smallest supported pollInterval is 5 seconds\")");
        c.put("workers", "W background job server JVMs with " + slots + " worker threads each");
        c.put("server_jvm_options", options.get("server-jvm", ""));
        c.put("batch", "BackgroundJob.enqueue(Stream) of up to " + batchSize + " jobs per call");
        c.put("end_of_run", "max(updatedAt) of SUCCEEDED rows in jobrunr_jobs");
        return c;
    }

    // ----- servers

    private List<Process> startServers(String jdbc, int count) {
        List<String> jvm = Arrays.stream(options.get("server-jvm", "").split(" ")).filter(s -> !s.isBlank()).toList();
        List<Process> servers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<String> command = new ArrayList<>();
            command.add(Children.javaBinary());
            command.addAll(jvm);
            command.addAll(List.of("-Duser.timezone=UTC", "-cp", absoluteClassPath(),
                    JobRunrBench.class.getName(), "server", "--jdbc", jdbc, "--workers", String.valueOf(slots),
                    "--poll-ms", String.valueOf(pollMs), "--name", "bench-" + count + "-" + i));
            servers.add(Children.start(command, Map.of(), work.resolve("logs/server-" + count + "-" + i + ".log"), work));
        }
        Waits.until(count + " JobRunr servers registered", Duration.ofSeconds(120), Duration.ofMillis(200), () -> {
            servers.forEach(p -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a JobRunr server exited; see " + work.resolve("logs"));
                }
            });
            return queryLong("SELECT count(*) FROM jobrunr_backgroundjobservers") >= count;
        });
        // warm-up: JIT, connection pools, and the servers' first polls
        reset();
        BackgroundJob.enqueue(IntStream.range(0, 200).boxed(), i -> NoopJob.run());
        awaitSucceeded(200, Duration.ofSeconds(120));
        reset();
        return servers;
    }

    private void stopServers(List<Process> servers) {
        servers.forEach(p -> Children.stop(p, Duration.ofSeconds(20)));
        update("DELETE FROM jobrunr_backgroundjobservers");
    }

    // ----- workloads

    private Map<String, Object> throughput(String submit) {
        reset();
        long t0 = System.currentTimeMillis();
        if (submit.equals("single")) {
            for (int i = 0; i < tasks; i++) {
                BackgroundJob.enqueue(() -> NoopJob.run());
            }
        } else {
            for (int left = tasks; left > 0; left -= batchSize) {
                BackgroundJob.enqueue(IntStream.range(0, Math.min(batchSize, left)).boxed(), i -> NoopJob.run());
            }
        }
        long submitted = System.currentTimeMillis();
        long succeeded = awaitSucceeded(tasks, Duration.ofSeconds(Math.max(120, tasks / 10)));
        long observed = System.currentTimeMillis();
        Instant last = lastSucceeded();
        double elapsed = (last.toEpochMilli() - t0) / 1000.0;
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("tasks", tasks);
        run.put("succeeded", succeeded);
        run.put("submit_s", (submitted - t0) / 1000.0);
        run.put("elapsed_s", elapsed);
        run.put("tasks_per_s", Math.round(succeeded / elapsed * 100.0) / 100.0);
        run.put("observed_elapsed_s", (observed - t0) / 1000.0);
        return run;
    }

    private Map<String, Object> roundTrip(int n, Duration budget) throws SQLException {
        reset();
        List<Double> latencies = new ArrayList<>();
        long deadline = System.nanoTime() + budget.toNanos();
        Duration perTask = Duration.ofMillis(3L * pollMs + 10_000);
        try (PreparedStatement state = harness.prepareStatement(H + "SELECT state FROM jobrunr_jobs WHERE id = ?")) {
            for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
                long start = System.nanoTime();
                JobId id = BackgroundJob.enqueue(() -> NoopJob.run());
                state.setString(1, id.toString());
                Waits.until("job " + id + " succeeded", perTask, Duration.ofMillis(2), () -> {
                    try (ResultSet rs = state.executeQuery()) {
                        return rs.next() && rs.getString(1).equals("SUCCEEDED");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                latencies.add(Math.round((System.nanoTime() - start) / 1e4) / 100.0);
            }
        }
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("n", latencies.size());
        run.put("requested", n);
        run.put("truncated", latencies.size() < n);
        List<Double> sorted = latencies.stream().sorted().toList();
        run.put("p50_ms", sorted.isEmpty() ? null : sorted.get(sorted.size() / 2));
        run.put("latencies_ms", latencies);
        return run;
    }

    private Map<String, Object> dbCost(PgStats stats, int n) {
        reset();
        Waits.pause(Duration.ofSeconds(3));
        PgStats.Snapshot idleFrom = stats.take();
        Waits.pause(Duration.ofSeconds(options.intValue("idle-window-s", 10)));
        PgStats.Snapshot idleTo = stats.take();
        PgStats.Snapshot before = stats.take();
        for (int i = 0; i < n; i++) {
            BackgroundJob.enqueue(() -> NoopJob.run());
        }
        awaitSucceeded(n, Duration.ofSeconds(Math.max(120, n / 10)));
        PgStats.Snapshot after = stats.take();
        Map<String, Object> cost = PgStats.cost(n, idleFrom, idleTo, before, after);
        cost.put("submit", "single");
        cost.put("workers", 1);
        return cost;
    }

    // ----- storage helpers (the harness's own queries, marked)

    private void reset() {
        Waits.until("no JobRunr job pending", Duration.ofSeconds(120), Duration.ofMillis(100),
                () -> queryLong("SELECT count(*) FROM jobrunr_jobs WHERE state IN ('SCHEDULED', 'ENQUEUED', 'PROCESSING')") == 0);
        update("DELETE FROM jobrunr_jobs");
    }

    private long awaitSucceeded(int n, Duration timeout) {
        long[] succeeded = {0};
        Waits.until(n + " jobs succeeded", timeout, Duration.ofMillis(100), () -> {
            succeeded[0] = queryLong("SELECT count(*) FROM jobrunr_jobs WHERE state = 'SUCCEEDED'");
            long failed = queryLong("SELECT count(*) FROM jobrunr_jobs WHERE state = 'FAILED'");
            return succeeded[0] + failed >= n;
        });
        return succeeded[0];
    }

    private Instant lastSucceeded() {
        try (Statement s = harness.createStatement();
             ResultSet rs = s.executeQuery(H + "SELECT max(updatedAt) FROM jobrunr_jobs WHERE state = 'SUCCEEDED'")) {
            rs.next();
            Timestamp last = rs.getTimestamp(1);
            return last.toInstant();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private long queryLong(String sql) {
        try (Statement s = harness.createStatement(); ResultSet rs = s.executeQuery(H + sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    private void update(String sql) {
        try (Statement s = harness.createStatement()) {
            s.executeUpdate(H + sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The harness's class path with absolute entries: the servers run in the work directory. */
    private static String absoluteClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .reduce((a, b) -> a + java.io.File.pathSeparator + b).orElseThrow();
    }

    private static String jobRunrVersion() {
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.startsWith("jobrunr-") && name.endsWith(".jar")) {
                return name.substring("jobrunr-".length(), name.length() - ".jar".length());
            }
        }
        return "unknown";
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void log(String message) {
        System.err.println("[jobrunr] " + message);
    }
}
