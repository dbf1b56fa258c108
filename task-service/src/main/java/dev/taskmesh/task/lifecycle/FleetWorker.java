package dev.taskmesh.task.lifecycle;

import java.util.List;

/**
 * An online worker as its latest heartbeat described it (from {@code worker_leases}, whichever instance it is
 * connected to).
 *
 * @param gpuMemoryMb memory of each of its GPUs, in MiB
 * @param draining    drained by an administrator: it takes nothing new
 */
public record FleetWorker(String workerId, int cpus, long memoryMb, List<Long> gpuMemoryMb, List<String> labels,
                          List<String> taskTypes, int slots, boolean draining) {

    public FleetWorker {
        gpuMemoryMb = List.copyOf(gpuMemoryMb);
        labels = List.copyOf(labels);
        taskTypes = List.copyOf(taskTypes);
    }

    /** How many of its GPUs have at least this much memory. */
    int gpusWith(long memoryMb) {
        return (int) gpuMemoryMb.stream().filter(mb -> mb >= memoryMb).count();
    }
}
