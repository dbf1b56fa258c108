package dev.taskmesh.agent.execution;

import dev.taskmesh.agent.handler.ChildResult;
import dev.taskmesh.agent.handler.ChildTaskException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;

/** The children of one running attempt: submitted through the agent's connection, followed until they end. */
public interface ChildTasks {

    /** For attempts that run without a platform ({@code run-local}): every submission fails. */
    ChildTasks UNSUPPORTED = new ChildTasks() {
        @Override
        public CompletableFuture<UUID> submit(JsonNode task) {
            return CompletableFuture.failedFuture(new ChildTaskException(
                    "child tasks need a connected agent; run-local runs the task alone"));
        }

        @Override
        public List<ChildResult> awaitAll(Duration timeout) {
            return List.of();
        }
    };

    /**
     * Sends the submission of a child.
     *
     * @param task the body of {@code POST /api/v1/tasks}: {@code type}, {@code input}, {@code requirements}, …
     * @return completes with the child's id, or with a {@link ChildTaskException} when the platform refuses it
     */
    CompletableFuture<UUID> submit(JsonNode task);

    /** Waits until every child submitted so far has ended; answers them in submission order. */
    List<ChildResult> awaitAll(Duration timeout) throws InterruptedException, TimeoutException;
}
