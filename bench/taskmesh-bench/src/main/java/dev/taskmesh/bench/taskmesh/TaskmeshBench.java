package dev.taskmesh.bench.taskmesh;

import dev.taskmesh.bench.common.Options;
import dev.taskmesh.bench.common.PgStats;
import dev.taskmesh.bench.common.Waits;
import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.local.Component;
import dev.taskmesh.local.LocalPlatform;
import dev.taskmesh.local.LocalPlatformConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Taskmesh side of the benchmark. Starts the whole platform with the launcher's {@link LocalPlatform} (no local
 * agent; the embedded PostgreSQL prepared with pg_stat_statements), then runs the workloads and writes one JSON
 * file. Everything is stopped on the way out, also on Ctrl-C (the launcher's children and ours).
 */
public final class TaskmeshBench {

    private static final Map<String, Object> NOOP = Map.of("type", "noop", "input", Map.of());
    private static final String H = PgStats.HARNESS_MARK + " ";
    private static final String RT_HTTP = "POST /api/v1/tasks?waitSeconds=10 (submit and wait in one request)";
    private static final String RT_STOMP = "STOMP SEND /app/tasks/submit with wait-seconds: 10 on an open session";
    /** Unanswered SENDs a pipelining STOMP client keeps: enough to cover a commit, bounded by the server's waits. */
    static final int STOMP_WINDOW = 100;
    private static final String RT_POLL = "poll GET /api/v1/tasks/{id} every 1 ms";

    private final Options options;
    private final Path work;
    private final int tasks;
    private final int reps;
    private final int slots;
    /** The agents' TASKMESH_PREFETCH: auto (their default) or a count. */
    private final String prefetch;
    private final int batchSize;
    private final String profile;
    private Api api;
    private Connection harness;

    private TaskmeshBench(Options options) {
        this.options = options;
        this.work = Path.of(options.require("work-dir")).toAbsolutePath();
        this.tasks = options.intValue("tasks", 10_000);
        this.reps = options.intValue("reps", 3);
        this.slots = options.intValue("slots", 4);
        this.prefetch = options.get("prefetch", "auto");
        this.batchSize = options.intValue("batch-size", 1000);
        this.profile = options.get("jvm-profile", "server");
    }

    public static void main(String[] args) throws Exception {
        new TaskmeshBench(new Options(args)).run();
        System.exit(0);
    }

    private void run() throws Exception {
        Path repo = Path.of(options.require("repo")).toAbsolutePath().normalize();
        Path data = work.resolve("platform");
        Files.createDirectories(data);
        int pgPort = freePort();
        preparePostgres(data.resolve("postgres"), pgPort);
        String adminPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));

        Map<Component, List<String>> jvm = new EnumMap<>(Component.class);
        for (Component c : Component.values()) {
            jvm.put(c, jvmOptions(c));
        }
        // PostgreSQL without flushes, as JobRunr's in this benchmark and Celery's Redis without persistence: the run
        // compares the systems' own work, not the disk's; its conditions record fsync and synchronous_commit
        var config = new LocalPlatformConfig(repo, data, LocalPlatformConfig.LOOPBACK, 0, 0, 0, 0, pgPort,
                adminPassword, false, jvm, Duration.ofSeconds(240), Map.of(), List.of(), false);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("system", "taskmesh");
        try (LocalPlatform platform = new LocalPlatform(config, line -> log("launcher: " + line))) {
            Runtime.getRuntime().addShutdownHook(new Thread(platform::stop, "platform-stopper"));
            platform.start();
            log("platform up in " + platform.startupTime().map(Duration::toSeconds).orElse(-1L) + " s at "
                    + platform.gatewayUrl());
            api = new Api(platform.gatewayUrl(), adminPassword);
            String jdbc = "jdbc:postgresql://127.0.0.1:" + pgPort + "/taskmesh";
            harness = DriverManager.getConnection(jdbc, "postgres", "postgres");
            var stats = new PgStats("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres", "postgres", "postgres",
                    "taskmesh");
            result.put("versions", Map.of("taskmesh", options.get("commit", "unknown"),
                    "jdk", Runtime.version().toString(), "postgres", stats.facts()));
            result.put("conditions", conditions(jvm));
            Path agentJar = Component.WORKER_AGENT.jar(repo);

            List<Map<String, Object>> throughput = new ArrayList<>();
            List<Map<String, Object>> roundTrip = new ArrayList<>();
            Map<String, Object> dbCost = new LinkedHashMap<>();
            String batchSupport = null;
            int round = 0;
            for (int workers : options.intList("workers", "1,4")) {
                try (var agents = new RealAgents(api, agentJar, jvm.get(Component.WORKER_AGENT), workers, slots,
                        prefetch, work, ++round)) {
                    warmUp();
                    for (String submit : List.of("single", "stomp", "pipelined", "batch")) {
                        if (submit.equals("batch") && batchSupport == null) {
                            batchSupport = probeBatch();
                        }
                        if (submit.equals("batch") && !batchSupport.equals("ok")) {
                            throughput.add(Map.of("variant", variant(submit, workers), "status", "n/a",
                                    "note", batchSupport, "runs", List.of()));
                            log("batch submission n/a: " + batchSupport);
                            continue;
                        }
                        List<Map<String, Object>> runs = new ArrayList<>();
                        for (int rep = 1; rep <= reps; rep++) {
                            Map<String, Object> run = throughput(submit);
                            log("workers=" + workers + " submit=" + submit + " rep=" + rep + ": " + run.get("tasks_per_s")
                                    + " tasks/s (" + run.get("succeeded") + "/" + tasks + ", submit " + run.get("submit_s") + " s)");
                            runs.add(run);
                        }
                        throughput.add(Map.of("variant", variant(submit, workers), "status", "ok", "runs", runs));
                    }
                    if (workers == 1) {
                        boolean wait = probeWait();
                        List<String> modes = wait ? List.of(RT_HTTP, RT_STOMP) : List.of(RT_POLL);
                        for (String mode : modes) {
                            List<Map<String, Object>> runs = new ArrayList<>();
                            for (int rep = 1; rep <= reps; rep++) {
                                // the first repetition of a mode after a warm-up of its own: the JIT's second tier
                                // is still compiling the path after the few dozen round trips the others start with
                                Map<String, Object> run = roundTrip(options.intValue("rt-tasks", 500),
                                        rep == 1 ? options.intValue("rt-warmup", 1000) : 20, mode,
                                        Duration.ofSeconds(options.intValue("rt-budget-s", 180)));
                                log("round trip rep=" + rep + ": n=" + run.get("n") + " p50=" + run.get("p50_ms")
                                        + " ms (" + mode + "); server-side stages, p50 ms: "
                                        + run.get("server_stages_p50_ms"));
                                runs.add(run);
                            }
                            roundTrip.add(Map.of("variant", Map.of("workers", 1, "concurrency", slots, "mode", mode),
                                    "status", "ok", "runs", runs));
                        }
                        dbCost.putAll(dbCost(stats, Math.min(tasks, options.intValue("db-tasks", 1000))));
                        log("db cost: " + dbCost.get("per_task"));
                    }
                }
            }
            result.put("throughput", throughput);
            result.put("round_trip", roundTrip);
            result.put("db_cost", dbCost);
            int fleetMax = options.intValue("fleet", 5000);
            result.put("fleet", fleetMax > 0 ? fleet(platform, fleetMax) : List.of());
            harness.close();
        }
        Path out = Path.of(options.require("out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValue(out.toFile(), result);
        log("wrote " + out);
    }

    private List<String> jvmOptions(Component component) {
        List<String> options = new ArrayList<>(LocalPlatformConfig.defaultJvmOptions(component));
        if (!profile.equals("launcher") && component != Component.WORKER_AGENT) {
            // "server": the services with the JIT's second tier back on (the launcher stops at C1 to start fast on
            // laptops; a benchmark measures the steady state). The agent keeps the launcher's C1: its own work per
            // task is small, and compiling it with C2 took more CPU within a run than C2 saved (docs/performance.md)
            options.removeIf(o -> o.startsWith("-XX:TieredStopAtLevel"));
        }
        String serviceXmx = this.options.get("service-xmx", "");
        if (!serviceXmx.isBlank() && component != Component.WORKER_AGENT) {
            options.removeIf(o -> o.startsWith("-Xmx"));
            options.add("-Xmx" + serviceXmx);
        }
        if (!profile.equals("launcher") && component != Component.WORKER_AGENT) {
            // "server": a young generation of a quarter of the heap cap, fixed, in an initial heap of half of it.
            // The launcher's -Xms32m keeps it at about 25 MiB, collected about once a second under load (2-6 ms each,
            // in every service on a task's path): one or two collections in every 500 round trips of each service,
            // which a p99 of 500 counts. -Xmn alone does not do it: the JVM shrinks it to fit the initial heap
            long young = youngGenerationMiB(options);
            options.removeIf(o -> o.startsWith("-Xms"));
            options.add("-Xms" + 2 * young + "m");
            options.add("-Xmn" + young + "m");
        }
        return options;
    }

    /** A quarter of the {@code -Xmx} among {@code options} (the JVM's default cap when there is none), in MiB. */
    static long youngGenerationMiB(List<String> options) {
        long maxHeapMiB = Runtime.getRuntime().maxMemory() / (1024 * 1024);
        for (String option : options) {
            if (option.startsWith("-Xmx")) {
                maxHeapMiB = mebibytes(option.substring(4));
            }
        }
        return Math.max(16, maxHeapMiB / 4);
    }

    /** A JVM memory size ({@code 256m}, {@code 1g}, {@code 1048576k}, bytes) in MiB. */
    static long mebibytes(String size) {
        String s = size.trim().toLowerCase(Locale.ROOT);
        long number = Long.parseLong(s.replaceAll("[kmgt]$", ""));
        return switch (s.charAt(s.length() - 1)) {
            case 'k' -> number / 1024;
            case 'm' -> number;
            case 'g' -> number * 1024;
            case 't' -> number * 1024 * 1024;
            default -> number / (1024 * 1024);
        };
    }

    private Map<String, Object> conditions(Map<Component, List<String>> jvm) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("launcher", "dev.taskmesh.local.LocalPlatform in-process (exec jars of the root build), no local agent");
        c.put("jvm_profile", profile);
        Map<String, Object> options = new LinkedHashMap<>();
        jvm.forEach((component, list) -> options.put(component.module(), String.join(" ", list)));
        c.put("jvm_options", options);
        c.put("workers", "W worker-agent processes with TASKMESH_SLOTS=" + slots + " TASKMESH_PREFETCH=" + prefetch
                + (prefetch.equals("auto") ? " (the default: tasks kept ready for 20 ms of work at the recent pace,"
                + " at most 128 beyond the slots)" : " (holding up to " + slots + " + " + prefetch + " tasks)"));
        c.put("task", "{\"type\":\"noop\",\"input\":{}} (built-in handler)");
        c.put("client", "one java.net.http client, one request at a time, admin token; STOMP: one session on"
                + " /ws/events through the gateway (STOMP 1.2 frames on java.net.http's WebSocket), one SEND"
                + " /app/tasks/submit at a time, each waited for on /user/queue/submissions; pipelined: up to "
                + STOMP_WINDOW
                + " SENDs unanswered, every answer checked for 201");
        c.put("batch", "POST /api/v1/tasks:batch?view=ids {\"tasks\":[...]} of up to " + batchSize);
        c.put("end_of_run", "max(finished_at) in tasks.tasks (the recorded result)");
        return c;
    }

    /**
     * "single", "stomp" and "pipelined" are all one request per task: over HTTP, as a SEND on an open STOMP session
     * with each answer awaited before the next SEND, and as SENDs with up to {@value #STOMP_WINDOW} unanswered (as a
     * STOMP client's publish does not wait; every answer is still checked).
     */
    private static Map<String, Object> variant(String submit, int workers) {
        return switch (submit) {
            case "single" -> Map.of("submit", "single", "via", "HTTP", "workers", workers);
            case "stomp" -> Map.of("submit", "single", "via", "STOMP", "workers", workers);
            case "pipelined" -> Map.of("submit", "single", "via", "STOMP, " + STOMP_WINDOW + " in flight", "workers",
                    workers);
            default -> Map.of("submit", submit, "workers", workers);
        };
    }

    // ----- the embedded PostgreSQL: initdb once here with pg_stat_statements preloaded, the launcher reuses it

    private static void preparePostgres(Path dir, int port) throws IOException, SQLException {
        if (Files.exists(dir)) {
            throw new IllegalStateException(dir + " exists: the benchmark needs a fresh database folder");
        }
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                // false: zonky would delete the folder on close; it runs initdb in an empty folder either way
                .setCleanDataDirectory(false)
                .setPort(port)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setPGStartupWait(Duration.ofSeconds(60))
                .start();
             Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
        }
    }

    // ----- workloads

    private void warmUp() {
        reset();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ids.add(submitOne());
        }
        waitUntil("200 warm-up tasks succeeded", Duration.ofSeconds(120), () -> countSucceeded(ids) >= ids.size());
    }

    private Map<String, Object> throughput(String submit) {
        reset();
        Timestamp since = databaseNow();
        long t0 = System.currentTimeMillis();
        if (submit.equals("single")) {
            for (int i = 0; i < tasks; i++) {
                submitOne();
            }
        } else if (submit.equals("stomp")) {
            try (var stomp = new StompSubmitter(api.baseUrl(), api.adminToken())) {
                for (int i = 0; i < tasks; i++) {
                    JsonNode answer = stomp.submit(NOOP, 0);
                    if (answer.path("status").asInt() != 201) {
                        throw new IllegalStateException("STOMP submit: " + answer);
                    }
                }
            }
        } else if (submit.equals("pipelined")) {
            try (var stomp = new StompSubmitter(api.baseUrl(), api.adminToken())) {
                stomp.submitPipelined(NOOP, tasks, STOMP_WINDOW);
            }
        } else {
            for (int left = tasks; left > 0; left -= batchSize) {
                Api.Answer answer = api.submitBatch(Map.of("tasks", Collections.nCopies(Math.min(batchSize, left), NOOP)));
                if (answer.status() / 100 != 2) {
                    throw new IllegalStateException("batch submission: HTTP " + answer.status() + " " + answer.body());
                }
            }
        }
        long submitted = System.currentTimeMillis();
        waitUntil(tasks + " tasks final", Duration.ofSeconds(Math.max(120, tasks / 10)),
                () -> finishedSince(since).all() >= tasks);
        long observed = System.currentTimeMillis();
        long succeeded = finishedSince(since).succeeded();
        double elapsed = (lastFinished() - t0) / 1000.0;
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("tasks", tasks);
        run.put("succeeded", succeeded);
        run.put("submit_s", (submitted - t0) / 1000.0);
        run.put("elapsed_s", elapsed);
        run.put("tasks_per_s", Math.round(succeeded / elapsed * 100.0) / 100.0);
        run.put("observed_elapsed_s", (observed - t0) / 1000.0);
        return run;
    }

    private String submitOne() {
        Api.Answer answer = api.submit(NOOP);
        if (answer.status() != 201) {
            throw new IllegalStateException("submit: HTTP " + answer.status() + " " + answer.body());
        }
        return answer.body().path("id").asString();
    }

    /** "ok", or why batch submission cannot be measured (the endpoint is being added). */
    private String probeBatch() {
        Api.Answer answer = api.submitBatch(Map.of("tasks", List.of(NOOP)));
        if (answer.status() / 100 == 2) {
            return "ok";
        }
        return "POST " + ApiPaths.TASKS + ":batch answered HTTP " + answer.status();
    }

    /** Whether GET /tasks/{id}?waitSeconds= waits: asked about a task that cannot run (no agent has 100000 CPUs). */
    private boolean probeWait() {
        Api.Answer answer = api.submit(Map.of("type", "noop", "input", Map.of(), "requirements", Map.of("cpus", 100_000)));
        if (answer.status() != 201) {
            return false;
        }
        String id = answer.body().path("id").asString();
        long start = System.nanoTime();
        api.get(ApiPaths.TASKS + "/" + id + "?waitSeconds=1");
        boolean waited = System.nanoTime() - start >= 800_000_000L;
        api.cancel(id);
        log("GET ?waitSeconds " + (waited ? "waits" : "does not wait (answers at once): polling"));
        return waited;
    }

    /** {@code n} measured round trips after {@code warmUp} unmeasured ones; each part within {@code budget}. */
    private Map<String, Object> roundTrip(int n, int warmUp, String mode, Duration budget) {
        reset();
        List<Double> latencies = new ArrayList<>();
        List<String> measured = new ArrayList<>();
        long deadline = System.nanoTime() + budget.toNanos();
        try (var stomp = mode.equals(RT_STOMP) ? new StompSubmitter(api.baseUrl(), api.adminToken()) : null) {
            for (int i = 0; i < n + warmUp && System.nanoTime() < deadline; i++) {
                if (i == warmUp) {
                    deadline = System.nanoTime() + budget.toNanos();
                }
                long start = System.nanoTime();
                String id = mode.equals(RT_STOMP) ? roundTripOverStomp(stomp) : roundTripOverHttp(mode.equals(RT_HTTP),
                        start);
                if (i >= warmUp) {
                    measured.add(id);
                    latencies.add(Math.round((System.nanoTime() - start) / 1e4) / 100.0);
                }
            }
        }
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("n", latencies.size());
        run.put("requested", n);
        run.put("truncated", latencies.size() < n);
        List<Double> sorted = latencies.stream().sorted().toList();
        run.put("p50_ms", sorted.isEmpty() ? null : sorted.get(sorted.size() / 2));
        run.put("server_stages_p50_ms", stages(measured));
        run.put("latencies_ms", latencies);
        return run;
    }

    /** One task submitted and waited for in one request, or polled for; answers its id once it is final. */
    private String roundTripOverHttp(boolean wait, long start) {
        Api.Answer submitted = wait ? api.submitAndWait(NOOP, 10) : api.submit(NOOP);
        if (submitted.status() != 201) {
            throw new IllegalStateException("submit: HTTP " + submitted.status() + " " + submitted.body());
        }
        String id = submitted.body().path("id").asString();
        String path = ApiPaths.TASKS + "/" + id + (wait ? "?waitSeconds=10" : "");
        long taskDeadline = start + Duration.ofSeconds(30).toNanos();
        JsonNode task = submitted.body();
        while (!isFinal(task)) {
            if (System.nanoTime() > taskDeadline) {
                throw new IllegalStateException("task " + id + " not final within 30 s: " + task.path("status"));
            }
            if (!wait) {
                Waits.pause(Duration.ofMillis(1));
            }
            task = api.get(path).body();
        }
        return id;
    }

    /** One task submitted over the open STOMP session, answered once it is final. */
    private static String roundTripOverStomp(StompSubmitter stomp) {
        JsonNode answer = stomp.submit(NOOP, 10);
        JsonNode task = answer.path("task");
        if (answer.path("status").asInt() != 201 || !isFinal(task)) {
            throw new IllegalStateException("STOMP submit and wait: " + answer);
        }
        return task.path("id").asString();
    }

    private static boolean isFinal(JsonNode task) {
        String status = task.path("status").asString("");
        return status.equals("SUCCEEDED") || status.equals("FAILED") || status.equals("CANCELLED");
    }

    /** Where the time goes, from the task rows' own timestamps: medians over the given tasks. */
    private Map<String, Object> stages(List<String> ids) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        String sql = H + """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - created_at)),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - assigned_at)),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at))
                FROM tasks.tasks WHERE id = ANY (?::uuid[])""";
        try (PreparedStatement s = harness.prepareStatement(sql)) {
            s.setArray(1, harness.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                String[] names = {"created_to_assigned", "assigned_to_started", "started_to_finished", "created_to_finished"};
                for (int i = 0; i < names.length; i++) {
                    out.put(names[i], Math.round(rs.getDouble(i + 1) * 1e5) / 100.0);
                }
            }
        } catch (SQLException e) {
            out.put("error", e.getMessage());
        }
        return out;
    }

    private Map<String, Object> dbCost(PgStats stats, int n) {
        reset();
        Waits.pause(Duration.ofSeconds(3));
        PgStats.Snapshot idleFrom = stats.take();
        Waits.pause(Duration.ofSeconds(options.intValue("idle-window-s", 10)));
        PgStats.Snapshot idleTo = stats.take();
        Timestamp since = databaseNow();
        PgStats.Snapshot before = stats.take();
        for (int i = 0; i < n; i++) {
            submitOne();
        }
        waitUntil(n + " tasks final", Duration.ofSeconds(Math.max(120, n / 10)),
                () -> finishedSince(since).all() >= n);
        // the result-service and the registry's batched heartbeats may still write for the last tasks
        Waits.pause(Duration.ofSeconds(2));
        PgStats.Snapshot after = stats.take();
        Map<String, Object> cost = PgStats.cost(n, idleFrom, idleTo, before, after);
        cost.put("submit", "single");
        cost.put("workers", 1);
        cost.put("scope", "the whole taskmesh database: tasks, registry and results schemas");
        return cost;
    }

    private List<Map<String, Object>> fleet(LocalPlatform platform, int max) {
        List<Integer> sizes = new ArrayList<>();
        for (int size : options.intList("fleet-sizes", "100,1000,5000")) {
            if (size <= max) {
                sizes.add(size);
            }
        }
        if (sizes.isEmpty()) {
            sizes.add(max);
        }
        Map<Component, Long> pids = platform.pids();
        long gateway = pids.get(Component.API_GATEWAY);
        long taskService = pids.get(Component.TASK_SERVICE);
        reset();
        Map<String, Object> gw0 = Memory.of(gateway);
        Map<String, Object> ts0 = Memory.of(taskService);
        log("fleet baseline: gateway " + gw0 + ", task-service " + ts0);
        List<Map<String, Object>> rows = new ArrayList<>();
        try (var fleet = new SimulatedFleet(api.baseUrl())) {
            for (int size : sizes) {
                long start = System.nanoTime();
                fleet.growTo(size, api, options.intValue("fleet-parallel", 8), Duration.ofSeconds(Math.max(120, size / 10)));
                String dead = deadService(gateway, taskService);
                if (dead != null) {
                    // e.g. -XX:+ExitOnOutOfMemoryError under the launcher's heap cap: no figure for this size
                    rows.add(Map.of("agents", size, "connected", fleet.connected(), "error", dead
                            + " exited while the fleet grew to " + size + " agents; see its log in "
                            + platform.logDirectory()));
                    log("fleet " + size + ": " + dead + " exited");
                    break;
                }
                double connectSeconds = (System.nanoTime() - start) / 1e9;
                // two heartbeat rounds, and the registry's batched write of them
                Waits.pause(Duration.ofSeconds(12));
                long online = onlineWorkers();
                Map<String, Object> gw = Memory.of(gateway);
                Map<String, Object> ts = Memory.of(taskService);
                Map<String, Object> dispatch = dispatchCheck(Math.min(20, size));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("agents", size);
                row.put("connected", fleet.connected());
                row.put("online_in_registry", online);
                row.put("connect_s", Math.round(connectSeconds * 10) / 10.0);
                row.put("connect_failures", fleet.connectFailures.get());
                row.put("sessions_lost", fleet.sessionsLost.get());
                row.put("protocol_errors", fleet.protocolErrors.get());
                row.put("heartbeats_sent", fleet.heartbeatsSent.get());
                row.put("gateway", gw);
                row.put("task_service", ts);
                row.put("gateway_per_1000", perThousand(gw0, gw, size));
                row.put("task_service_per_1000", perThousand(ts0, ts, size));
                row.put("dispatch", dispatch);
                row.put("assignments_answered", fleet.assignments.get());
                rows.add(row);
                log("fleet " + size + ": " + row);
            }
        }
        return rows;
    }

    private static String deadService(long gateway, long taskService) {
        if (ProcessHandle.of(gateway).map(ProcessHandle::isAlive).orElse(false)
                && ProcessHandle.of(taskService).map(ProcessHandle::isAlive).orElse(false)) {
            return null;
        }
        return ProcessHandle.of(gateway).map(ProcessHandle::isAlive).orElse(false) ? "task-service" : "api-gateway";
    }

    private static Map<String, Object> perThousand(Map<String, Object> base, Map<String, Object> now, int agents) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : List.of("rss_mib", "heap_used_mib")) {
            if (base.get(key) instanceof Number b && now.get(key) instanceof Number n) {
                out.put(key, Memory.round((n.doubleValue() - b.doubleValue()) * 1000.0 / agents));
            }
        }
        return out;
    }

    private Map<String, Object> dispatchCheck(int count) {
        List<String> ids = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            ids.add(submitOne());
        }
        boolean done;
        try {
            waitUntil(count + " fleet tasks succeeded", Duration.ofSeconds(60), () -> countSucceeded(ids) >= count);
            done = true;
        } catch (IllegalStateException e) {
            done = false;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tasks", count);
        out.put("succeeded", countSucceeded(ids));
        out.put("all_within_60_s", done);
        out.put("seconds", Math.round((System.nanoTime() - start) / 1e7) / 100.0);
        return out;
    }

    private long onlineWorkers() {
        Api.Answer answer = api.get(ApiPaths.WORKERS);
        long online = 0;
        JsonNode items = answer.body().isArray() ? answer.body() : answer.body().path("items");
        for (JsonNode worker : items) {
            if (worker.path("status").asString("").equals("ONLINE")) {
                online++;
            }
        }
        return online;
    }

    // ----- the harness's own reads of the tasks schema (marked, left out of the statement counts)

    private void reset() {
        waitUntil("no task pending", Duration.ofSeconds(180),
                () -> queryLong("SELECT count(*) FROM tasks.tasks WHERE status IN ('QUEUED', 'ASSIGNED', 'RUNNING')") == 0);
    }

    /** The database's clock: the tasks' {@code finished_at} is compared with it. */
    private Timestamp databaseNow() {
        try (Statement s = harness.createStatement(); ResultSet rs = s.executeQuery(H + "SELECT clock_timestamp()")) {
            rs.next();
            return rs.getTimestamp(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Finished(long all, long succeeded) {
    }

    /**
     * The tasks that ended since {@code since}, read from the index of finished tasks from that time on. A workload
     * starts when no task is pending, so these are its own. Counting every finished task instead read the whole table
     * (a parallel scan of three PostgreSQL processes, about 200 ms of CPU with 250,000 tasks) every 100 ms while the
     * platform ran on the same cores, and more with each workload, as the table grew.
     */
    private Finished finishedSince(Timestamp since) {
        try (PreparedStatement s = harness.prepareStatement(H + "SELECT count(*), count(*) FILTER (WHERE status = "
                + "'SUCCEEDED') FROM tasks.tasks WHERE finished_at >= ?")) {
            s.setTimestamp(1, since);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new Finished(rs.getLong(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private long countSucceeded(List<String> ids) {
        try (PreparedStatement s = harness.prepareStatement(
                H + "SELECT count(*) FROM tasks.tasks WHERE status = 'SUCCEEDED' AND id = ANY (?::uuid[])")) {
            s.setArray(1, harness.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private long lastFinished() {
        try (Statement s = harness.createStatement();
             ResultSet rs = s.executeQuery(H + "SELECT max(finished_at) FROM tasks.tasks")) {
            rs.next();
            Timestamp last = rs.getTimestamp(1);
            return last.toInstant().toEpochMilli();
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

    private static void waitUntil(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        Waits.until(what, timeout, Duration.ofMillis(100), condition);
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void log(String message) {
        System.err.println("[taskmesh] " + message);
    }
}
