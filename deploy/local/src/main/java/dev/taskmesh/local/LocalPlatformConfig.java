package dev.taskmesh.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How to start a {@link LocalPlatform}.
 *
 * @param repositoryRoot    where the modules' {@code target/<module>-exec.jar} files are
 * @param dataDirectory     PostgreSQL data, logs, results, the agent's work folder, the admin password file
 * @param listenAddress     address the gateway listens on; the other services always listen on loopback only
 * @param gatewayPort       0 picks a free port, as for every port below
 * @param registryPort      port of the worker-registry
 * @param taskServicePort   port of the task-service
 * @param resultServicePort port of the result-service
 * @param postgresPort      port of the embedded PostgreSQL (loopback only)
 * @param adminPassword     password of the user {@code admin}; null: {@code TASKMESH_ADMIN_PASSWORD}, else the one
 *                          kept in the data directory, else a new one
 * @param startAgent        whether to start a local worker agent
 * @param jvmOptions        JVM options per child; a child without an entry gets {@link #defaultJvmOptions}
 * @param healthTimeout     how long each child may take to answer healthy
 * @param environment       extra environment variables per child, set over the launcher's own (e.g.
 *                          {@code TASKMESH_DISPATCH_LEASE=5s} for the task-service); the entry of
 *                          {@link Component#WORKER_AGENT} goes to every agent
 * @param agents            more agents, each with its own worker, started after the local one (if any)
 * @param durableDatabase   PostgreSQL flushes each commit to disk before it is acknowledged ({@code fsync},
 *                          {@code synchronous_commit}, {@code full_page_writes} on): what was accepted survives a
 *                          crash of PostgreSQL or of the machine. Off only to compare with systems that keep nothing
 *                          on disk (the benchmark, whose Celery runs on a Redis without persistence)
 */
public record LocalPlatformConfig(Path repositoryRoot, Path dataDirectory, String listenAddress,
                                  int gatewayPort, int registryPort, int taskServicePort, int resultServicePort,
                                  int postgresPort, @Nullable String adminPassword, boolean startAgent,
                                  Map<Component, List<String>> jvmOptions, Duration healthTimeout,
                                  Map<Component, Map<String, String>> environment, List<AgentSpec> agents,
                                  boolean durableDatabase) {

    /** Loopback, so that a development platform is not reachable from the network unless asked for. */
    public static final String LOOPBACK = "127.0.0.1";

    public LocalPlatformConfig {
        repositoryRoot = repositoryRoot.toAbsolutePath().normalize();
        dataDirectory = dataDirectory.toAbsolutePath().normalize();
        jvmOptions = Map.copyOf(jvmOptions);
        Map<Component, Map<String, String>> copy = new EnumMap<>(Component.class);
        environment.forEach((component, variables) -> copy.put(component, Map.copyOf(variables)));
        environment = Collections.unmodifiableMap(copy);
        agents = List.copyOf(agents);
        if (agents.stream().map(AgentSpec::name).distinct().count() != agents.size()) {
            throw new IllegalArgumentException("Agent names must be unique: " + agents);
        }
    }

    /** The gateway on {@code gatewayPort}, everything else on free ports, an agent, default JVM options. */
    public static LocalPlatformConfig of(Path repositoryRoot, Path dataDirectory, int gatewayPort) {
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, LOOPBACK, gatewayPort, 0, 0, 0, 0, null, true,
                Map.of(), Duration.ofSeconds(120), Map.of(), List.of(), true);
    }

    public LocalPlatformConfig withAdminPassword(@Nullable String password) {
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, listenAddress, gatewayPort, registryPort,
                taskServicePort, resultServicePort, postgresPort, password, startAgent, jvmOptions, healthTimeout,
                environment, agents, durableDatabase);
    }

    public LocalPlatformConfig withAgent(boolean start) {
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, listenAddress, gatewayPort, registryPort,
                taskServicePort, resultServicePort, postgresPort, adminPassword, start, jvmOptions, healthTimeout,
                environment, agents, durableDatabase);
    }

    public LocalPlatformConfig withListenAddress(String address) {
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, address, gatewayPort, registryPort,
                taskServicePort, resultServicePort, postgresPort, adminPassword, startAgent, jvmOptions, healthTimeout,
                environment, agents, durableDatabase);
    }

    public LocalPlatformConfig withHealthTimeout(Duration timeout) {
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, listenAddress, gatewayPort, registryPort,
                taskServicePort, resultServicePort, postgresPort, adminPassword, startAgent, jvmOptions, timeout,
                environment, agents, durableDatabase);
    }

    public LocalPlatformConfig withJvmOptions(Component component, List<String> options) {
        Map<Component, List<String>> all = new EnumMap<>(Component.class);
        all.putAll(jvmOptions);
        all.put(component, List.copyOf(options));
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, listenAddress, gatewayPort, registryPort,
                taskServicePort, resultServicePort, postgresPort, adminPassword, startAgent, all, healthTimeout,
                environment, agents, durableDatabase);
    }

    /** Adds {@code variables} to the environment of {@code component} (of every agent for the worker-agent). */
    public LocalPlatformConfig withEnvironment(Component component, Map<String, String> variables) {
        Map<Component, Map<String, String>> all = new EnumMap<>(Component.class);
        all.putAll(environment);
        Map<String, String> merged = new LinkedHashMap<>(environment.getOrDefault(component, Map.of()));
        merged.putAll(variables);
        all.put(component, merged);
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, listenAddress, gatewayPort, registryPort,
                taskServicePort, resultServicePort, postgresPort, adminPassword, startAgent, jvmOptions, healthTimeout,
                all, agents, durableDatabase);
    }

    /** Adds agents, each with its own worker, to start after the local one. */
    public LocalPlatformConfig withAgents(AgentSpec... more) {
        List<AgentSpec> all = new ArrayList<>(agents);
        all.addAll(List.of(more));
        return new LocalPlatformConfig(repositoryRoot, dataDirectory, listenAddress, gatewayPort, registryPort,
                taskServicePort, resultServicePort, postgresPort, adminPassword, startAgent, jvmOptions, healthTimeout,
                environment, all, durableDatabase);
    }

    /** The extra environment of a child. */
    public Map<String, String> environmentOf(Component component) {
        return environment.getOrDefault(component, Map.of());
    }

    /** The options a child JVM is started with. */
    public List<String> jvmOptionsOf(Component component) {
        return jvmOptions.getOrDefault(component, defaultJvmOptions(component));
    }

    /**
     * Small-footprint options: one machine runs five JVMs that mostly wait. Measured on a 2-core machine with the
     * four services and the agent, against the JVM defaults (G1, C2, heap from machine memory): resident memory
     * 1,590 MiB down to 990 MiB in all, start-up faster. Serial GC and C1 only cut memory and start-up CPU; a small
     * initial heap keeps idle services small; the heap caps keep a leak in one child from starving the others.
     */
    public static List<String> defaultJvmOptions(Component component) {
        boolean agent = component == Component.WORKER_AGENT;
        return List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", agent ? "-Xms16m" : "-Xms32m",
                agent ? "-Xmx128m" : "-Xmx256m", "-XX:ReservedCodeCacheSize=48m", "-XX:+ExitOnOutOfMemoryError");
    }
}
