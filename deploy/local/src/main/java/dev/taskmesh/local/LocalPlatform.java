package dev.taskmesh.local;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
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
 *
 * <p>For tests that crash things on purpose it can also run several agents ({@link LocalPlatformConfig#agents()},
 * {@link #startAgent(AgentSpec)}), kill an agent or a service with SIGKILL together with every process under it
 * ({@link #killAgent(String)}, {@link #killService(Component)}), and start it again as it was: an agent with the same
 * worker id and token, a service on the same port with the same environment ({@link #restartAgent(String)},
 * {@link #restartService(Component)}).
 */
public final class LocalPlatform implements AutoCloseable {

    private static final List<Component> SERVICES =
            List.of(Component.WORKER_REGISTRY, Component.TASK_SERVICE, Component.RESULT_SERVICE);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final Duration AGENT_ONLINE_TIMEOUT = Duration.ofSeconds(60);
    /** Labels of the local worker, given both to the registry and to the agent (which reports them). */
    private static final List<String> LOCAL_WORKER_LABELS = List.of("local");
    /** Name of the agent {@code ./taskmesh dev} starts, among {@link #agentNames()}. */
    public static final String LOCAL_AGENT = "local";

    private final LocalPlatformConfig config;
    private final Consumer<String> console;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private final Map<Component, Integer> ports = new EnumMap<>(Component.class);
    private final List<ChildProcess> children = new ArrayList<>();
    /** How each service was started, to start it again the same way. */
    private final Map<Component, Launch> launches = new EnumMap<>(Component.class);
    /** The agents by name, in start order. */
    private final Map<String, ManagedAgent> agents = new LinkedHashMap<>();
    private @Nullable EmbeddedDatabase database;
    private @Nullable AdminPassword adminPassword;
    private @Nullable LocalWorker localWorker;
    private @Nullable Duration startupTime;
    private int postgresPort;
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

            EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("postgres"), postgresPort,
                    config.durableDatabase());
            register(db);
            console.accept("PostgreSQL is up on 127.0.0.1:" + db.port() + " (data in " + data.resolve("postgres") + ")");

            var wiring = new ServiceEnvironment.Wiring(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD,
                    Secrets.internalSecret(), config.listenAddress(), Map.copyOf(ports), data.resolve("results"),
                    adminPassword.value());
            List<ChildProcess> services = new ArrayList<>();
            for (Component service : SERVICES) {
                services.add(launch(service, service.module(), ServiceEnvironment.of(service, wiring), List.of()));
            }
            for (ChildProcess service : services) {
                awaitHealthy(service, started);
            }
            awaitHealthy(launch(Component.API_GATEWAY, Component.API_GATEWAY.module(),
                    ServiceEnvironment.of(Component.API_GATEWAY, wiring), List.of()), started);
            for (ChildProcess service : services) {
                // a service that lost its port to another program exits, and that program may have answered its
                // health check
                if (!service.isAlive()) {
                    throw new PlatformException(service.name() + " exited while the platform started; see "
                            + service.logFile());
                }
            }

            if (config.startAgent()) {
                startLocalAgent(data);
            }
            for (AgentSpec spec : config.agents()) {
                startAgent(spec);
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

    /**
     * Starts one more agent: creates its worker through the API, then the agent with that worker's id and token, and
     * waits until the registry has a heartbeat from it.
     *
     * @return the worker id
     */
    public String startAgent(AgentSpec spec) {
        synchronized (this) {
            if (agents.containsKey(spec.name())) {
                throw new IllegalArgumentException("There is already an agent named " + spec.name());
            }
        }
        var gateway = new GatewayClient(http, gatewayUrl());
        String adminToken = gateway.login("admin", adminPassword());
        LocalWorker worker = gateway.createWorker(adminToken, spec.name(), spec.labels());
        Path workDirectory = config.dataDirectory().resolve("agents").resolve(spec.name());
        try {
            Files.createDirectories(workDirectory);
        } catch (IOException e) {
            throw new PlatformException("Cannot create " + workDirectory + ": " + e.getMessage(), e);
        }
        var agent = new ManagedAgent(spec, worker, Component.WORKER_AGENT.module() + "-" + spec.name(), workDirectory);
        synchronized (this) {
            agents.put(spec.name(), agent);
        }
        console.accept("Created worker " + worker.id() + " for agent " + spec.name() + " (labels " + spec.labels()
                + ", " + spec.slots() + " slot(s))");
        launchAgent(agent, adminToken, true);
        return worker.id();
    }

    /** The names of the agents, in start order; the one {@code ./taskmesh dev} starts is {@code local}. */
    public synchronized List<String> agentNames() {
        return List.copyOf(agents.keySet());
    }

    /** The worker id of an agent. */
    public String agentWorkerId(String name) {
        return agent(name).worker.id();
    }

    /** The process id of an agent's JVM, while it runs. */
    public Optional<Long> agentPid(String name) {
        ChildProcess child = agent(name).child;
        return child != null && child.isAlive() ? Optional.of(child.pid()) : Optional.empty();
    }

    /**
     * Kills an agent with SIGKILL, with every process it started (the tasks it runs), as a crash would end it: it
     * sends nothing more, and no process of it is left when this returns.
     *
     * @return the process ids killed, the agent's JVM first
     */
    public List<Long> killAgent(String name) {
        ManagedAgent agent = agent(name);
        ChildProcess child = agent.child;
        if (child == null || !child.isAlive()) {
            throw new IllegalStateException("Agent " + name + " is not running");
        }
        List<Long> killed = killChild(child);
        console.accept("Killed agent " + name + " with SIGKILL (pids " + killed + ")");
        return killed;
    }

    /** Starts a stopped or killed agent again with the same worker id, token, labels and work folder. */
    public void restartAgent(String name) {
        ManagedAgent agent = agent(name);
        ChildProcess child = agent.child;
        if (child != null && child.isAlive()) {
            throw new IllegalStateException("Agent " + name + " is still running");
        }
        launchAgent(agent, null, true);
    }

    /**
     * Kills a service (not an agent: see {@link #killAgent(String)}) with SIGKILL: no graceful shutdown, nothing
     * flushed, its connections cut.
     *
     * @return the process ids killed
     */
    public List<Long> killService(Component component) {
        ChildProcess child = runningService(component)
                .orElseThrow(() -> new IllegalStateException(component + " is not running"));
        List<Long> killed = killChild(child);
        console.accept("Killed " + component + " with SIGKILL (pids " + killed + ")");
        return killed;
    }

    /** Starts a killed service again on the same port with the same environment; returns when it is healthy. */
    public void restartService(Component component) {
        if (runningService(component).isPresent()) {
            throw new IllegalStateException(component + " is still running");
        }
        Launch launch;
        synchronized (this) {
            launch = launches.get(component);
        }
        if (launch == null) {
            throw new IllegalStateException(component + " was never started");
        }
        long started = System.nanoTime();
        awaitHealthy(launch(component, component.module(), launch.environment(), launch.arguments()), started);
    }

    /**
     * Waits until every running agent has sent a heartbeat at or after {@code since} (as the registry records them),
     * e.g. after a restart of the task-service, which they reach through the gateway.
     */
    public void awaitAgentsConnected(Instant since, Duration timeout) {
        var gateway = new GatewayClient(http, gatewayUrl());
        String adminToken = gateway.login("admin", adminPassword());
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ManagedAgent agent : runningAgents()) {
            if (!awaitHeartbeat(gateway, adminToken, agent, since, deadline)) {
                throw new PlatformException("Agent " + agent.spec.name() + " sent no heartbeat within "
                        + timeout.toSeconds() + " s; its log is " + logDirectory().resolve(agent.logName + ".log"));
            }
        }
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
        List<Path> logs;
        try (Stream<Path> files = Files.list(logDirectory())) {
            logs = files.filter(file -> file.getFileName().toString().endsWith(".log")).sorted().toList();
        } catch (IOException e) {
            return "(cannot list " + logDirectory() + ": " + e.getMessage() + ")";
        }
        for (Path log : logs) {
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

    /** The configured ports, checked free, and distinct free ones for those left at 0 (PostgreSQL's included). */
    private void assignPorts() {
        Map<Component, Integer> configured = Map.of(
                Component.API_GATEWAY, config.gatewayPort(),
                Component.WORKER_REGISTRY, config.registryPort(),
                Component.TASK_SERVICE, config.taskServicePort(),
                Component.RESULT_SERVICE, config.resultServicePort());
        List<Component> components = List.of(Component.WORKER_REGISTRY, Component.TASK_SERVICE,
                Component.RESULT_SERVICE, Component.API_GATEWAY);
        int unset = (int) components.stream().filter(c -> configured.get(c) == 0).count()
                + (config.postgresPort() == 0 ? 1 : 0);
        Iterator<Integer> free = Ports.free(unset).iterator();
        for (Component component : components) {
            int port = configured.get(component);
            if (port == 0) {
                port = free.next();
            } else {
                String address = component == Component.API_GATEWAY ? config.listenAddress() : LocalPlatformConfig.LOOPBACK;
                Ports.requireFree(port, address, component.module());
            }
            ports.put(component, port);
        }
        postgresPort = config.postgresPort() == 0 ? free.next() : config.postgresPort();
    }

    private ChildProcess launch(Component component, String name, Map<String, String> environment,
                                List<String> arguments) {
        return launch(component, name, environment, arguments, config.dataDirectory());
    }

    private ChildProcess launch(Component component, String name, Map<String, String> environment,
                                List<String> arguments, Path workingDirectory) {
        Map<String, String> merged = new LinkedHashMap<>(environment);
        merged.putAll(config.environmentOf(component));
        ChildProcess child = ChildProcess.start(component, name, component.jar(config.repositoryRoot()),
                config.jvmOptionsOf(component), arguments, merged, logDirectory(), workingDirectory);
        boolean stopNow;
        boolean running;
        synchronized (this) {
            stopNow = closed;
            if (!stopNow) {
                children.add(child);
                if (component != Component.WORKER_AGENT) {
                    launches.put(component, new Launch(environment, arguments));
                }
            }
            running = startupTime != null;
        }
        if (stopNow) {
            child.stop(STOP_GRACE);
            throw new PlatformException("Stopped while starting " + name);
        }
        if (running) {
            // started after start(): restarted or added; watched like the others
            child.onUnexpectedExit(message -> console.accept("ERROR: " + message));
        }
        console.accept("Started " + name + " (pid " + child.pid() + ", log " + child.logFile() + ")");
        return child;
    }

    private List<Long> killChild(ChildProcess child) {
        synchronized (this) {
            children.remove(child);
        }
        return child.kill();
    }

    private synchronized Optional<ChildProcess> runningService(Component component) {
        if (component == Component.WORKER_AGENT) {
            throw new IllegalArgumentException("Agents are killed and restarted by name");
        }
        return children.stream().filter(child -> child.component() == component && child.isAlive()).findFirst();
    }

    private synchronized ManagedAgent agent(String name) {
        ManagedAgent agent = agents.get(name);
        if (agent == null) {
            throw new IllegalArgumentException("No agent named " + name + "; the agents are " + agents.keySet());
        }
        return agent;
    }

    private synchronized List<ManagedAgent> runningAgents() {
        return agents.values().stream().filter(agent -> agent.child != null && agent.child.isAlive()).toList();
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
        console.accept(child.name() + " is healthy on port " + ports.get(child.component()) + " ("
                + seconds(Duration.ofNanos(System.nanoTime() - startedNanos)) + " s since start)");
    }

    private void startLocalAgent(Path data) {
        var gateway = new GatewayClient(http, gatewayUrl());
        String adminToken = null;
        LocalWorker worker = LocalWorker.load(data).filter(gateway::accepts).orElse(null);
        if (worker == null) {
            adminToken = gateway.login("admin", adminPassword());
            worker = gateway.createWorker(adminToken, LOCAL_AGENT, LOCAL_WORKER_LABELS);
            worker.save(data);
            console.accept("Created the local worker " + worker.id() + " (kept in " + data.resolve(LocalWorker.FILE_NAME) + ")");
        }
        localWorker = worker;
        int slots = Math.max(2, Runtime.getRuntime().availableProcessors());
        var agent = new ManagedAgent(new AgentSpec(LOCAL_AGENT, LOCAL_WORKER_LABELS, slots), worker,
                Component.WORKER_AGENT.module(), data.resolve("agent"));
        synchronized (this) {
            agents.put(LOCAL_AGENT, agent);
        }
        launchAgent(agent, adminToken, false);
    }

    /**
     * Starts the agent's JVM and waits until the registry has a heartbeat from it sent after the start.
     *
     * @param required whether an agent that does not connect in time fails the call (else a warning)
     */
    private void launchAgent(ManagedAgent agent, @Nullable String knownToken, boolean required) {
        var settings = new ServiceEnvironment.AgentSettings(gatewayUrl(), agent.worker.id(), agent.worker.token(),
                agent.spec.labels(), agent.workDirectory, agent.spec.slots());
        // the registry's clock: heartbeats are stamped by the task-service on this machine
        Instant launchedAt = Instant.now();
        ChildProcess child = launch(Component.WORKER_AGENT, agent.logName, ServiceEnvironment.agent(settings),
                List.of("agent"), agent.workDirectory);
        agent.child = child;
        var gateway = new GatewayClient(http, gatewayUrl());
        String adminToken;
        try {
            adminToken = knownToken != null ? knownToken : gateway.login("admin", adminPassword());
        } catch (PlatformException e) {
            if (required) {
                throw e;
            }
            console.accept("WARNING: cannot check that the agent is online: " + e.getMessage());
            return;
        }
        if (awaitHeartbeat(gateway, adminToken, agent, launchedAt, System.nanoTime() + AGENT_ONLINE_TIMEOUT.toNanos())) {
            console.accept(agent.logName + " is online as worker " + agent.worker.id());
            return;
        }
        String message = agent.logName + " (worker " + agent.worker.id() + ") is not ONLINE after "
                + AGENT_ONLINE_TIMEOUT.toSeconds() + " s";
        if (required) {
            throw new PlatformException(message + "; its log is " + child.logFile() + ". Last lines:\n" + child.tail(60));
        }
        console.accept("WARNING: " + message + "; tasks will wait in the queue until it connects. See " + child.logFile());
    }

    /**
     * The agent has no health endpoint: it is connected when the registry lists its worker as ONLINE with a heartbeat
     * at or after {@code since} (a restarted agent's worker may still be listed ONLINE from before).
     */
    private boolean awaitHeartbeat(GatewayClient gateway, String adminToken, ManagedAgent agent, Instant since,
                                   long deadlineNanos) {
        ChildProcess child = agent.child;
        while (System.nanoTime() < deadlineNanos) {
            if (child == null || !child.isAlive()) {
                throw new PlatformException(agent.logName + " exited while connecting; its log is "
                        + (child == null ? "missing" : child.logFile() + ". Last lines:\n" + child.tail(60)));
            }
            Optional<JsonNode> listed = gateway.worker(adminToken, agent.worker.id());
            if (listed.isPresent() && "ONLINE".equals(listed.get().path("status").asString(""))
                    && heartbeatSince(listed.get(), since)) {
                return true;
            }
            pause(Duration.ofMillis(250));
        }
        return false;
    }

    private static boolean heartbeatSince(JsonNode worker, Instant since) {
        String last = worker.path("lastHeartbeatAt").asString("");
        try {
            // a registry without the field: ONLINE is all there is to go by
            return last.isEmpty() || !Instant.parse(last).isBefore(since);
        } catch (DateTimeParseException e) {
            return true;
        }
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

    /** How a service was started. */
    private record Launch(Map<String, String> environment, List<String> arguments) {
    }

    /** An agent: its worker, and its JVM while one runs. */
    private static final class ManagedAgent {

        final AgentSpec spec;
        final LocalWorker worker;
        final String logName;
        final Path workDirectory;
        volatile @Nullable ChildProcess child;

        ManagedAgent(AgentSpec spec, LocalWorker worker, String logName, Path workDirectory) {
            this.spec = spec;
            this.worker = worker;
            this.logName = logName;
            this.workDirectory = workDirectory;
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
