package dev.taskmesh.agent.execution;

import dev.taskmesh.agent.handler.ChildResult;
import dev.taskmesh.agent.handler.ChildTaskException;
import dev.taskmesh.agent.handler.Requirements;
import dev.taskmesh.agent.handler.TaskContext;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.LogStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** What a handler sees of its {@link AttemptRun}. */
final class HandlerContext implements TaskContext {

    /** The longest a handler waits for the platform's answer to a child submission. */
    static final Duration SUBMIT_LIMIT = Duration.ofMinutes(1);

    private final AttemptRun run;

    HandlerContext(AttemptRun run) {
        this.run = run;
    }

    @Override
    public UUID taskId() {
        return run.assignment().taskId();
    }

    @Override
    public int attempt() {
        return run.assignment().attempt();
    }

    @Override
    public JsonNode input() {
        return run.assignment().input();
    }

    @Override
    public Path outputDir() {
        return run.outputDir();
    }

    @Override
    public void progress(@Nullable Integer percent, @Nullable String stage) {
        run.progress(percent, stage);
    }

    @Override
    public void log(String line) {
        run.log(LogStream.STDOUT, line);
    }

    @Override
    public boolean isCancelled() {
        return run.isCancelled();
    }

    @Override
    public UUID submitChild(String type, JsonNode input, @Nullable Requirements requirements)
            throws InterruptedException {
        ObjectNode task = WireJson.mapper().createObjectNode();
        task.put("type", type);
        task.set("input", input);
        if (requirements != null) {
            task.set("requirements", WireJson.mapper().valueToTree(requirements));
        }
        CompletableFuture<UUID> answer = run.children().submit(task);
        try {
            return answer.get(SUBMIT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ChildTaskException refused) {
                throw refused;
            }
            throw new ChildTaskException("child submission failed: " + e.getCause());
        } catch (TimeoutException e) {
            throw new ChildTaskException("no answer to the submission of a child task within "
                    + SUBMIT_LIMIT.toSeconds() + " s");
        } finally {
            answer.cancel(false);
        }
    }

    @Override
    public List<ChildResult> awaitChildren(Duration timeout) throws InterruptedException, TimeoutException {
        return run.children().awaitAll(timeout);
    }
}
