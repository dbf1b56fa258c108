package dev.taskmesh.local;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code taskmesh dev}: starts the platform in the foreground until Ctrl-C. */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = "Starts PostgreSQL, the four services and a local worker agent; Ctrl-C stops them.")
final class DevCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "${env:TASKMESH_PORT:-8080}",
            description = "Gateway port (env TASKMESH_PORT, default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", defaultValue = "${env:TASKMESH_DATA_DIR:-.taskmesh}",
            description = "Data directory: database, logs, results (env TASKMESH_DATA_DIR, default ${DEFAULT-VALUE}).")
    Path dataDirectory;

    @Option(names = "--listen", defaultValue = "127.0.0.1",
            description = "Address the gateway listens on; 0.0.0.0 lets agents on other machines connect "
                    + "(default ${DEFAULT-VALUE}).")
    String listenAddress;

    @Option(names = "--no-agent", description = "Do not start the local worker agent.")
    boolean noAgent;

    @Option(names = "--jvm-options", defaultValue = "${env:TASKMESH_JVM_OPTIONS}",
            description = "JVM options for every child instead of the small-footprint defaults, space-separated "
                    + "(env TASKMESH_JVM_OPTIONS).")
    @Nullable String jvmOptions;

    @Option(names = "--repository", defaultValue = "${env:TASKMESH_HOME:-.}", hidden = true,
            description = "Where the modules' target/*-exec.jar files are (the taskmesh script sets it).")
    Path repository;

    @Override
    public Integer call() {
        LocalPlatformConfig config = LocalPlatformConfig.of(repository, dataDirectory, port)
                .withListenAddress(listenAddress)
                .withAgent(!noAgent);
        if (jvmOptions != null && !jvmOptions.isBlank()) {
            List<String> options = List.of(jvmOptions.trim().split("\\s+"));
            for (Component component : Component.values()) {
                config = config.withJvmOptions(component, options);
            }
        }
        var platform = new LocalPlatform(config);
        var done = new CountDownLatch(1);
        var stopping = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopping.compareAndSet(false, true)) {
                System.out.println("\nStopping Taskmesh…");
                platform.stop();
                System.out.println("Stopped.");
            }
            done.countDown();
        };
        // the hook covers every way the JVM ends; the signal handlers run the same ordered stop before the JVM
        // starts its hooks, where embedded PostgreSQL's own hook would otherwise stop the database concurrently
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "taskmesh-stop"));
        handleSignals(stop, stopping);

        System.out.println("Starting Taskmesh (data in " + config.dataDirectory() + ")…");
        try {
            platform.start();
        } catch (PlatformException e) {
            if (stopping.compareAndSet(false, true)) { // start() has stopped what it had started
                System.err.println("\nTaskmesh did not start: " + e.getMessage());
                return 1;
            }
            // Ctrl-C during the start: let the ordered stop finish before the JVM exits
            awaitQuietly(done);
            return 0;
        }
        printWelcome(platform);
        awaitQuietly(done);
        return 0;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void handleSignals(Runnable stop, AtomicBoolean stopping) {
        for (String name : List.of("INT", "TERM")) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (stopping.get()) {
                        // a second Ctrl-C must not end the JVM half-way: the children would be left running
                        System.out.println("Still stopping (each service gets up to 20 s)…");
                        return;
                    }
                    Thread.ofPlatform().name("taskmesh-signal").start(() -> {
                        stop.run();
                        System.exit(0);
                    });
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // not every platform lets a program handle every signal; the shutdown hook still stops everything
            }
        }
    }

    private static void printWelcome(LocalPlatform platform) {
        String url = "http://localhost:" + platform.port(Component.API_GATEWAY);
        Duration sinceLaunch = ProcessHandle.current().info().startInstant()
                .map(launched -> Duration.between(launched, Instant.now()))
                .orElseGet(() -> platform.startupTime().orElse(Duration.ZERO));
        AdminPassword password = platform.adminPasswordInfo();
        boolean fromEnvironment = password.source() == AdminPassword.Source.ENVIRONMENT;
        String passwordExpression = fromEnvironment ? "$" + AdminPassword.ENV : "$(cat '" + password.file() + "')";
        var text = new StringBuilder();
        text.append("\n==================================================================\n");
        text.append(" Taskmesh is ready in ").append(LocalPlatform.seconds(sinceLaunch)).append(" s\n");
        text.append("==================================================================\n");
        text.append(" URL:            ").append(url).append('\n');
        text.append(" admin user:     admin\n");
        text.append(" admin password: ").append(switch (password.source()) {
            case CONFIGURED -> "as configured";
            case ENVIRONMENT -> "from $" + AdminPassword.ENV;
            case GENERATED -> password.value() + "\n                 (generated now and shown only this once; kept in "
                    + password.file() + ")";
            case FILE -> "generated on the first start, kept in " + password.file();
        }).append('\n');
        platform.localWorker().ifPresent(worker ->
                text.append(" local worker:   ").append(worker.id()).append(" (label \"local\")\n"));
        text.append(" logs:           ").append(platform.logDirectory()).append('\n');
        text.append(" internal ports: worker-registry ").append(platform.port(Component.WORKER_REGISTRY))
                .append(", task-service ").append(platform.port(Component.TASK_SERVICE))
                .append(", result-service ").append(platform.port(Component.RESULT_SERVICE)).append('\n');
        text.append("\n Try it (paste into a shell):\n\n");
        text.append("URL=").append(url).append('\n');
        text.append("TOKEN=$(curl -s $URL/api/v1/auth/token -H 'Content-Type: application/json' \\\n");
        text.append("  -d \"{\\\"username\\\":\\\"admin\\\",\\\"password\\\":\\\"").append(passwordExpression)
                .append("\\\"}\" | grep -o '\"access_token\":\"[^\"]*' | cut -d'\"' -f4)\n");
        text.append("TASK=$(curl -s $URL/api/v1/tasks -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n");
        text.append("  -d '{\"type\":\"command\",\"input\":{\"argv\":[\"bash\",\"-c\",\"echo ::progress 50 Working; "
                + "echo hello > $TASKMESH_OUTPUT_DIR/hello.txt\"]}}' | grep -o '\"id\":\"[^\"]*' | head -1 | cut -d'\"' -f4)\n");
        text.append("sleep 2\n");
        text.append("curl -s $URL/api/v1/tasks/$TASK -H \"Authorization: Bearer $TOKEN\"; echo\n");
        text.append("curl -s $URL/api/v1/tasks/$TASK/result -H \"Authorization: Bearer $TOKEN\"; echo\n");
        text.append("curl -s $URL/api/v1/tasks/$TASK/result/files/hello.txt -H \"Authorization: Bearer $TOKEN\"\n");
        text.append("\n Press Ctrl-C to stop everything.\n");
        System.out.println(text);
    }
}
