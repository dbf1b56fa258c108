package dev.taskmesh.contract.agent;

import java.util.List;

/**
 * What a node offers. Hard requirements of tasks are matched against it.
 *
 * @param cpus      logical CPUs
 * @param memoryMb  physical memory in MiB
 * @param gpus      GPUs, empty when the node has none
 * @param taskTypes task types the agent can run ({@code command} and its handlers' types)
 * @param labels    free-form labels such as {@code region=eu} or {@code ssd}
 * @param slots     how many tasks the agent runs at once
 * @param hostname  host name, for people
 * @param agentVersion version of the agent software
 */
public record Capabilities(int cpus, long memoryMb, List<Gpu> gpus, List<String> taskTypes, List<String> labels,
                           int slots, String hostname, String agentVersion) {

    public Capabilities {
        gpus = List.copyOf(gpus);
        taskTypes = List.copyOf(taskTypes);
        labels = List.copyOf(labels);
    }
}
