package dev.taskmesh.contract.agent;

import java.util.List;
import java.util.UUID;

/** Log lines of a running attempt, batched by the agent (at most every 200 ms or 500 lines). */
public record TaskLog(UUID taskId, int attempt, List<LogLine> lines) {

    public TaskLog {
        lines = List.copyOf(lines);
    }
}
