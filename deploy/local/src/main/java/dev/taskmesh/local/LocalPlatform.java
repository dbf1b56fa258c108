package dev.taskmesh.local;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The whole platform on one machine: an embedded PostgreSQL, the worker-registry, task-service and
 * result-service (started together), then the api-gateway, then a local worker agent, each a child JVM with its
 * output in {@code <data>/logs/<module>.log}. Used by {@code ./taskmesh dev} and by the end-to-end test.
 *
 * <p>{@link #start()} returns when every service answers healthy (and the agent is online), or fails with the
 * tail of the guilty log after stopping what it had started. {@link #stop()} stops in reverse order: the agent,
 * the gateway, the services, PostgreSQL.
 */
public final class LocalPlatform implements AutoCloseable {

    private static final List<Component> SERVICES =
            List.of(Component.WORKER_REGISTRY, Component.TASK_SERVICE, Component.RESULT_SERVICE);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final Duration AGENT_ONLINE_TIMEOUT = Duration.ofSeconds(60);
    /** Labels of the local worker, given both to the registry and to the agent (which reports them). */
    private static final List<String> LOCAL_WORKER_LABELS = List.of("local");

    private final LocalPlatformConfig config;
    private final Consumer<String> console;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private final Map<Component, Integer> ports = new EnumMap<>(Component.class);
    private final List<ChildProcess> children = new ArrayList<>();
    private @Nullable EmbeddedDatabase database;
    private @Nullable AdminPassword adminPassword;
    private @Nullable LocalWorker localWorker;
    private @Nullable Duration startupTime;
    private boolean closed;

    /** @param console where progress and warnings go, one message per call */
    public LocalPlatform(LocalPlatformConfig config, Consumer<String> console) {
        this.config = config;
        this.console = console;
    }

    public LocalPlatform(LocalPlatformConfig config) {
        this(config, System.out::println);
    }

    /** Starts everything; on failure stops what was started and throws {@link PlatformException}. */
    public void start() {
        long started = System.nanoTime();
        try {
            requireJars();
            Path data = createDirectories();
            adminPassword = AdminPassword.resolve(config.adminPassword(), data);
            assignPorts();

            EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("postgres"), config.postgresPort());
            register(db);
            console.accept("PostgreSQL is up on 127.0.0.1:" + db.port() + " (data in " + data.resolve("postgres") + ")");

            var wiring = new ServiceEnvironment.Wiring(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD,
                    Secrets.internalSecret(), config.listenAddress(), Map.copyOf(ports), data.resolve("results"),
                    adminPassword.value());
            List<ChildProcess> services = new ArrayList<>();
            for (Component service : SERVICES) {
                services.add(launch(service, ServiceEnvironment.of(service, wiring), List.of()));
            }
            for (ChildProcess service : services) {
                awaitHealthy(service, started);
            }
            awaitHealthy(launch(Component.API_GATEWAY, ServiceEnvironment.of(Component.API_GATEWAY, wiring), List.of()),
                    started);

            if (config.startAgent()) {
                startAgent(data);
            }
            startupTime = Duration.ofNanos(System.nanoTime() - started);
            watchForUnexpectedExits();
        } catch (RuntimeException e) {
            stop();
            throw e instanceof PlatformException ? e : new PlatformException("Start failed: " + e, e);
        }
    }

    /** Stops the agent, the gateway, the services (SIGTERM, then a kill after 20 s), then PostgreSQL. Idempotent. */
    public void stop() {
        List<ChildProcess> running;
        EmbeddedDatabase db;
        synchronized (this) {
            if (closed && children.isEmpty() && database == null) {
                return;
            }
            closed = true;
            running = List.copyOf(children);
            children.clear();
            db = database;
            database = null;
        }
        stopEach(running, Component.WORKER_AGENT);
        stopEach(running, Component.API_GATEWAY);
        // the three services do not depend on each other for shutting down: SIGTERM all, then wait for each
        List<Thread> stoppers = new ArrayList<>();
        for (ChildProcess child : running) {
            if (SERVICES.contains(child.component())) {
                stoppers.add(Thread.ofVirtual().start(() -> child.stop(STOP_GRACE)));
            }
        }
        for (Thread stopper : stoppers) {
            joinQuietly(stopper);
        }
        if (db != null) {
            try {
                db.close();
            } catch (PlatformException e) {
                console.accept("WARNING: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The gateway's URL, e.g. {@code http://127.0.0.1:8080}: the only address clients and agents need. */
    public String gatewayUrl() {
        return "http://127.0.0.1:" + port(Component.API_GATEWAY);
    }

    public int port(Component component) {
        Integer port = ports.get(component);
        if (port == null) {
            throw new IllegalStateException(component + " has no port (not started)");
        }
        return port;
    }

    public String adminPassword() {
        return requireStarted(adminPassword).value();
    }

    /** The admin password with where it came from, for the start-up message. */
    AdminPassword adminPasswordInfo() {
        return requireStarted(adminPassword);
    }

    /** The file that keeps a generated admin password. */
    public Path adminPasswordFile() {
        return config.dataDirectory().resolve(AdminPassword.FILE_NAME);
    }

    /** The local worker's identity, when an agent was started. */
    public Optional<LocalWorker> localWorker() {
        return Optional.ofNullable(localWorker);
    }

    /** From {@link #start()} to everything healthy. */
    public Optional<Duration> startupTime() {
        return Optional.ofNullable(startupTime);
    }

    public Path dataDirectory() {
        return config.dataDirectory();
    }

    public Path logDirectory() {
        return config.dataDirectory().resolve("logs");
    }

    /** Process ids of the running children. */
    public synchronized Map<Component, Long> pids() {
        Map<Component, Long> pids = new EnumMap<>(Component.class);
        for (ChildProcess child : children) {
            pids.put(child.component(), child.pid());
        }
        return pids;
    }

    /** The last lines of every child's log file (running or not), for diagnosing a failure. */
    public String logTails(int lines) {
        var tails = new StringBuilder();
        for (Component component : Component.values()) {
            Path log = logDirectory().resolve(component.module() + ".log");
            if (Files.isRegularFile(log)) {
                tails.append("----- ").append(log).append(" (last ").append(lines).append(" lines)\n");
                try {
                    List<String> all = Files.readAllLines(log);
                    tails.append(String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())));
                } catch (IOException | RuntimeException e) {
                    tails.append("(unreadable: ").append(e.getMessage()).append(")");
                }
                tails.append('\n');
            }
        }
        return tails.toString();
    }

    private void requireJars() {
        List<Component> needed = new ArrayList<>(SERVICES);
        needed.add(Component.API_GATEWAY);
        if (config.startAgent()) {
            needed.add(Component.WORKER_AGENT);
        }
        List<String> missing = needed.stream()
                .map(component -> component.jar(config.repositoryRoot()))
                .filter(jar -> !Files.isRegularFile(jar))
                .map(Path::toString)
                .toList();
        if (!missing.isEmpty()) {
            throw new PlatformException("Missing executable jars (build with ./taskmesh build): " + missing);
        }
    }

    private Path createDirectories() {
        Path data = config.dataDirectory();
        try {
            for (String folder : List.of("logs", "results", "agent")) {
                Files.createDirectories(data.resolve(folder));
            }
        } catch (IOException e) {
            throw new PlatformException("Cannot create the data directory " + data + ": " + e.getMessage(), e);
        }
        return data;
    }

    private void assignPorts() {
        Map<Component, Integer> configured = Map.of(
                Component.API_GATEWAY, config.gatewayPort(),
                Component.WORKER_REGISTRY, config.registryPort(),
                Component.TASK_SERVICE, config.taskServicePort(),
                Component.RESULT_SERVICE, config.resultServicePort());
        for (Component component : List.of(Component.WORKER_REGISTRY, Component.TASK_SERVICE,
                Component.RESULT_SERVICE, Component.API_GATEWAY)) {
            int port = configured.get(component);
            if (port == 0) {
                port = Ports.free();
            } else {
                String address = component == Component.API_GATEWAY ? config.listenAddress() : LocalPlatformConfig.LOOPBACK;
                Ports.requireFree(port, address, component.module());
            }
            ports.put(component, port);
        }
    }

    private ChildProcess launch(Component component, Map<String, String> environment, List<String> arguments) {
        Path workingDirectory = component == Component.WORKER_AGENT
                ? config.dataDirectory().resolve("agent") : config.dataDirectory();
        ChildProcess child = ChildProcess.start(component, component.jar(config.repositoryRoot()),
                config.jvmOptionsOf(component), arguments, environment, logDirectory(), workingDirectory);
        boolean stopNow;
        synchronized (this) {
            stopNow = closed;
            if (!stopNow) {
                children.add(child);
            }
        }
        if (stopNow) {
            child.stop(STOP_GRACE);
            throw new PlatformException("Stopped while starting " + component);
        }
        console.accept("Started " + component + " (pid " + child.pid() + ", log " + child.logFile() + ")");
        return child;
    }

    private synchronized void register(EmbeddedDatabase db) {
        if (closed) {
            db.close();
            throw new PlatformException("Stopped while starting PostgreSQL");
        }
        database = db;
    }

    private void awaitHealthy(ChildProcess child, long startedNanos) {
        child.awaitHealthy(http, "http://127.0.0.1:" + ports.get(child.component()), config.healthTimeout());
        console.accept(child.component() + " is healthy on port " + ports.get(child.component()) + " ("
                + seconds(Duration.ofNanos(System.nanoTime() - startedNanos)) + " s since start)");
    }

    private void startAgent(Path data) {
        var gateway = new GatewayClient(http, gatewayUrl());
        String adminToken = null;
        LocalWorker worker = LocalWorker.load(data).filter(gateway::accepts).orElse(null);
        if (worker == null) {
            adminToken = gateway.login("admin", adminPassword());
            worker = gateway.createWorker(adminToken, "local", LOCAL_WORKER_LABELS);
            worker.save(data);
            console.accept("Created the local worker " + worker.id() + " (kept in " + data.resolve(LocalWorker.FILE_NAME) + ")");
        }
        localWorker = worker;
        int slots = Math.max(2, Runtime.getRuntime().availableProcessors());
        var settings = new ServiceEnvironment.AgentSettings(gatewayUrl(), worker.id(), worker.token(),
                LOCAL_WORKER_LABELS, data.resolve("agent"), slots);
        ChildProcess agent = launch(Component.WORKER_AGENT, ServiceEnvironment.agent(settings), List.of("agent"));
        awaitOnline(gateway, agent, worker, adminToken);
    }

    /** The agent has no health endpoint: it is ready when the registry lists its worker as ONLINE. */
    private void awaitOnline(GatewayClient gateway, ChildProcess agent, LocalWorker worker, @Nullable String knownToken) {
        String adminToken;
        try {
            adminToken = knownToken != null ? knownToken : gateway.login("admin", adminPassword());
        } catch (PlatformException e) {
            console.accept("WARNING: cannot check that the agent is online: " + e.getMessage());
            return;
        }
        long deadline = System.nanoTime() + AGENT_ONLINE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new PlatformException("worker-agent exited while connecting; its log is " + agent.logFile()
                        + ". Last lines:\n" + agent.tail(60));
            }
            Optional<JsonNode> listed = gateway.worker(adminToken, worker.id());
            if (listed.isPresent() && "ONLINE".equals(listed.get().path("status").asString(""))) {
                console.accept("worker-agent is online as worker " + worker.id());
                return;
            }
            pause(Duration.ofMillis(250));
        }
        console.accept("WARNING: the local worker is not ONLINE after " + AGENT_ONLINE_TIMEOUT.toSeconds()
                + " s; tasks will wait in the queue until it connects. See " + agent.logFile());
    }

    private void watchForUnexpectedExits() {
        List<ChildProcess> running;
        synchronized (this) {
            running = List.copyOf(children);
        }
        for (ChildProcess child : running) {
            child.onUnexpectedExit(message -> console.accept("ERROR: " + message));
        }
    }

    private void stopEach(List<ChildProcess> running, Component component) {
        for (ChildProcess child : running) {
            if (child.component() == component) {
                child.stop(STOP_GRACE);
            }
        }
    }

    private static <T> T requireStarted(@Nullable T value) {
        if (value == null) {
            throw new IllegalStateException("The platform has not been started");
        }
        return value;
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformException("Interrupted", e);
        }
    }

    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f", duration.toMillis() / 1000.0);
    }
}
