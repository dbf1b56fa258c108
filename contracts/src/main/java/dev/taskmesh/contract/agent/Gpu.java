package dev.taskmesh.contract.agent;

import org.jspecify.annotations.Nullable;

/** One GPU of a node, as {@code nvidia-smi} reports it. */
public record Gpu(int index, String model, long memoryMb, @Nullable String driverVersion) {
}
