package dev.taskmesh.agent.execution;

import dev.taskmesh.agent.handler.TaskContext;
import dev.taskmesh.contract.agent.LogStream;
import java.nio.file.Path;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** What a handler sees of its {@link AttemptRun}. */
final class HandlerContext implements TaskContext {

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
        return run.layout().outputDir();
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
}
