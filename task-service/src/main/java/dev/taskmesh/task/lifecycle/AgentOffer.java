package dev.taskmesh.task.lifecycle;

import java.util.List;

/**
 * What one connected agent can take now, for one claim.
 *
 * @param gpuMemoryMb memory of each of its GPUs
 * @param limit       free slots: at most this many tasks are claimed
 */
public record AgentOffer(String workerId, List<String> taskTypes, int cpus, long memoryMb, List<Long> gpuMemoryMb,
                         List<String> labels, int limit) {

    public AgentOffer {
        taskTypes = List.copyOf(taskTypes);
        gpuMemoryMb = List.copyOf(gpuMemoryMb);
        labels = List.copyOf(labels);
    }
}
