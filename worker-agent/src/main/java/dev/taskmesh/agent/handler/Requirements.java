package dev.taskmesh.agent.handler;

import java.util.List;

/**
 * Hard requirements of a child task ({@link TaskContext#submitChild}): only an agent that has all of them runs it.
 *
 * @param cpus        logical CPUs the agent must have
 * @param memoryMb    memory in MiB the agent must have
 * @param gpus        GPUs the agent must have
 * @param gpuMemoryMb memory each of those GPUs must have, in MiB
 * @param labels      labels the agent must all carry
 */
public record Requirements(int cpus, long memoryMb, int gpus, long gpuMemoryMb, List<String> labels) {

    /** No requirement: any agent that runs the task's type may run it. */
    public static final Requirements NONE = new Requirements(0, 0, 0, 0, List.of());

    public Requirements {
        labels = List.copyOf(labels);
    }

    /** Only agents with all these labels. */
    public static Requirements labels(String... labels) {
        return new Requirements(0, 0, 0, 0, List.of(labels));
    }

    /** Only agents with {@code count} GPUs of at least {@code memoryMb} MiB each. */
    public static Requirements gpus(int count, long memoryMb) {
        return new Requirements(0, 0, count, memoryMb, List.of());
    }
}
