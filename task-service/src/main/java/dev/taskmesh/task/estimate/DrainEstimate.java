package dev.taskmesh.task.estimate;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The JSON of {@code GET /api/v1/tasks/estimate}.
 *
 * @param queued                tasks waiting (of the listed types)
 * @param running               tasks agents hold (ASSIGNED or RUNNING)
 * @param onlineSlots           slots of the online workers that are not drained (with {@code ?type=}: of those
 *                              that offer the type)
 * @param estimatedDrainSeconds seconds until every listed task is done; null when a type with tasks has no sample
 *                              or no slot
 */
record DrainEstimate(long queued, long running, long onlineSlots, List<TypeEstimate> types,
                     @Nullable Double estimatedDrainSeconds) {

    DrainEstimate {
        types = List.copyOf(types);
    }

    /**
     * One task type.
     *
     * @param avgRunSeconds         moving average of its attempts' run times; null before the first completion
     * @param samples               completions behind the average
     * @param slots                 slots of the online workers (not drained) that offer the type
     * @param estimatedDrainSeconds {@code (queued + running) × avgRunSeconds ÷ slots}; 0 with nothing to do; null
     *                              without a sample or a slot
     */
    record TypeEstimate(String type, long queued, long running, @Nullable Double avgRunSeconds, long samples,
                        long slots, @Nullable Double estimatedDrainSeconds) {
    }
}
