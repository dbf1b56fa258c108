package dev.taskmesh.task.lifecycle;

import java.util.List;

/**
 * Hard requirements of a task, matched against an agent's capabilities.
 *
 * @param cpus        logical CPUs the agent must have
 * @param memoryMb    memory in MiB the agent must have
 * @param gpus        GPUs the agent must have
 * @param gpuMemoryMb memory each of those GPUs must have, in MiB
 * @param labels      labels the agent must all carry
 */
public record Requirements(int cpus, long memoryMb, int gpus, long gpuMemoryMb, List<String> labels) {

    public static final Requirements NONE = new Requirements(0, 0, 0, 0, List.of());

    public Requirements {
        labels = List.copyOf(labels);
    }
}
