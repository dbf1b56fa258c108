package dev.taskmesh.bench.taskmesh;

import dev.taskmesh.bench.common.Children;
import dev.taskmesh.bench.common.Waits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** W real worker-agent processes ({@code worker-agent-exec.jar agent}), each a worker created through the API. */
final class RealAgents implements AutoCloseable {

    private final List<Process> processes = new ArrayList<>();

    RealAgents(Api api, Path agentJar, List<String> jvmOptions, int count, int slots, String prefetch, Path work,
               int round) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String[] worker = api.createWorker("bench-agent-" + round + "-" + i, "bench");
            ids.add(worker[0]);
            List<String> command = new ArrayList<>();
            command.add(Children.javaBinary());
            command.addAll(jvmOptions);
            command.addAll(List.of("-jar", agentJar.toString(), "agent"));
            Path dir = work.resolve("agents/" + round + "-" + i);
            processes.add(Children.start(command, Map.of(
                            "TASKMESH_SERVER", api.baseUrl(),
                            "TASKMESH_WORKER_ID", worker[0],
                            "TASKMESH_WORKER_TOKEN", worker[1],
                            "TASKMESH_WORK_DIR", dir.toString(),
                            "TASKMESH_SLOTS", String.valueOf(slots),
                            "TASKMESH_PREFETCH", prefetch),
                    work.resolve("logs/agent-" + round + "-" + i + ".log"), dir));
        }
        Waits.until(count + " agents ONLINE", Duration.ofSeconds(120), Duration.ofMillis(250), () -> {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a worker agent exited; see " + work.resolve("logs"));
                }
            }
            return ids.stream().allMatch(id -> api.workerStatus(id).equals("ONLINE"));
        });
    }

    @Override
    public void close() {
        processes.forEach(p -> Children.stop(p, Duration.ofSeconds(20)));
    }
}
