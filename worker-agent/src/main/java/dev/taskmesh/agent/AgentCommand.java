package dev.taskmesh.agent;

import dev.taskmesh.agent.capabilities.CapabilitiesProbe;
import dev.taskmesh.agent.connection.AgentConnection;
import dev.taskmesh.agent.connection.OutputUploader;
import dev.taskmesh.agent.connection.ServerAddress;
import dev.taskmesh.agent.connection.TokenClient;
import dev.taskmesh.agent.connection.WorkerRejectedException;
import dev.taskmesh.agent.execution.TaskExecutor;
import dev.taskmesh.contract.agent.Capabilities;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agent}: connects to the platform and runs the tasks it pushes, until stopped (SIGTERM, Ctrl-C). */
@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Connects to a Taskmesh platform and runs the tasks it is sent, until stopped.",
                "Every option can also be set by the environment variable named in its description."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped", "1:the platform rejected the worker id or token", "2:invalid options"})
final class AgentCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(AgentCommand.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:TASKMESH_SERVER:-http://localhost:8080}",
            description = "Base URL of the platform's gateway (env TASKMESH_SERVER, default ${DEFAULT-VALUE}).")
    private String server = "http://localhost:8080";

    @Option(names = "--worker-id", paramLabel = "ID", defaultValue = "${env:TASKMESH_WORKER_ID}",
            description = "The worker's id, as registered (env TASKMESH_WORKER_ID). Required.")
    private @Nullable String workerId;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:TASKMESH_WORKER_TOKEN}",
            description = "The worker's token tmw_... (env TASKMESH_WORKER_TOKEN, preferred: other users of the "
                    + "machine can see command lines). Required. Never printed.")
    private @Nullable String token;

    @Option(names = "--slots", paramLabel = "N", defaultValue = "${env:TASKMESH_SLOTS}",
            description = "How many tasks run at once (env TASKMESH_SLOTS, default: the number of CPUs).")
    private @Nullable Integer slots;

    @Option(names = "--prefetch", paramLabel = "auto|N", defaultValue = "${env:TASKMESH_PREFETCH:-auto}",
            description = "How many assigned tasks the agent keeps ready beyond its slots, so that short tasks run back "
                    + "to back without waiting for the server. auto: as many as its slots run in 20 ms at the pace of "
                    + "its recent tasks, up to 128, and none while tasks take longer; N: always N, 0 for none (env "
                    + "TASKMESH_PREFETCH, default ${DEFAULT-VALUE}).")
    private String prefetch = "auto";

    @Option(names = "--labels", paramLabel = "LABEL", split = ",", defaultValue = "${env:TASKMESH_LABELS}",
            description = "Comma-separated labels tasks can require, e.g. ssd,region=eu (env TASKMESH_LABELS).")
    private @Nullable List<String> labels;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "${env:TASKMESH_WORK_DIR:-./.taskmesh/agent}",
            description = "Folder for the attempts' work folders (env TASKMESH_WORK_DIR, default ${DEFAULT-VALUE}).")
    private Path workDir = Path.of("./.taskmesh/agent");

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:TASKMESH_HEARTBEAT_INTERVAL:-5s}",
            description = "Time between heartbeats, e.g. 5s (env TASKMESH_HEARTBEAT_INTERVAL, default ${DEFAULT-VALUE}).")
    private Duration heartbeatInterval = Duration.ofSeconds(5);

    @Override
    public Integer call() {
        String id = required(workerId, "--worker-id", "TASKMESH_WORKER_ID");
        String secret = required(token, "--token", "TASKMESH_WORKER_TOKEN");
        int slotCount = slots == null ? Math.max(1, Runtime.getRuntime().availableProcessors()) : slots;
        if (slotCount < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--slots must be at least 1, got " + slots);
        }
        Prefetch prefetchPolicy;
        try {
            prefetchPolicy = Prefetch.parse(prefetch, slotCount);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--prefetch: " + e.getMessage());
        }
        ServerAddress address;
        try {
            address = ServerAddress.parse(server);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--server: " + e.getMessage());
        }
        List<String> labelList = labels == null ? List.of()
                : labels.stream().map(String::strip).filter(label -> !label.isEmpty()).distinct().toList();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        Clock clock = Clock.systemUTC();
        TokenClient tokens = new TokenClient(http, address, id, secret, clock);
        TaskExecutor executor = TaskExecutor.withDiscoveredHandlers(TaskExecutor.DEFAULT_KILL_GRACE);
        Capabilities capabilities = CapabilitiesProbe.probe(executor.taskTypes(), labelList, slotCount);
        OutputUploader uploader = new OutputUploader(http, address, tokens, Duration.ofSeconds(1));
        Agent agent = new Agent(capabilities, prefetchPolicy, workDir, executor, uploader, clock,
                ChildTaskRegistry.DEFAULT_RESYNC);
        AgentConnection connection = new AgentConnection(address, id, tokens, agent);

        Thread stopper = new Thread(agent::close, "agent-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        log.info("Worker {} connecting to {} with {} slot(s) and a prefetch of {}; work folder {}", id, address.base(),
                slotCount, prefetchPolicy, workDir.toAbsolutePath().normalize());
        try {
            agent.run(connection, heartbeatInterval);
            return 0;
        } catch (WorkerRejectedException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            agent.close();
            return 1;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running
            }
        }
    }

    private String required(@Nullable String value, String option, String env) {
        if (value == null || value.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing " + option + " (or the environment variable " + env + ")");
        }
        return value.strip();
    }
}
