package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.agent.TaskProgress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the agent last said about a running attempt, and the stages it went through.
 *
 * @param steps every stage seen, oldest first; the last one is open (no {@code finishedAt}) while it runs
 */
public record Progress(@Nullable Integer percent, @Nullable String stage, @Nullable String message, List<Step> steps) {

    /** Bounds what one task can store, whatever an agent sends. */
    static final int MAX_STEPS = 200;
    static final int MAX_TEXT = 1000;

    public Progress {
        steps = List.copyOf(steps);
    }

    /**
     * One stage of a run.
     *
     * @param durationMs null while the step runs
     */
    public record Step(String name, Instant startedAt, @Nullable Instant finishedAt, @Nullable Long durationMs) {

        Step finish(Instant at) {
            return new Step(name, startedAt, at, Math.max(0, Duration.between(startedAt, at).toMillis()));
        }
    }

    /** The progress after {@code update}: a new stage closes the previous step and opens one. */
    static Progress next(@Nullable Progress previous, TaskProgress update) {
        List<Step> steps = new ArrayList<>(previous == null ? List.of() : previous.steps());
        String stage = truncate(update.stage());
        if (stage != null && !stage.isBlank()) {
            Step open = steps.isEmpty() ? null : steps.getLast();
            boolean sameStage = open != null && open.finishedAt() == null && open.name().equals(stage);
            if (!sameStage) {
                if (open != null && open.finishedAt() == null) {
                    steps.set(steps.size() - 1, open.finish(update.at()));
                }
                if (steps.size() < MAX_STEPS) {
                    steps.add(new Step(stage, update.at(), null, null));
                }
            }
        }
        String currentStage = stage != null && !stage.isBlank() ? stage : previous == null ? null : previous.stage();
        return new Progress(update.percent(), currentStage, truncate(update.message()), steps);
    }

    /** The progress once the attempt ended at {@code at}: the open step is closed. */
    Progress finished(Instant at) {
        if (steps.isEmpty() || steps.getLast().finishedAt() != null) {
            return this;
        }
        List<Step> closed = new ArrayList<>(steps);
        closed.set(closed.size() - 1, closed.getLast().finish(at));
        return new Progress(percent, stage, message, closed);
    }

    private static @Nullable String truncate(@Nullable String text) {
        return text == null || text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT);
    }
}
