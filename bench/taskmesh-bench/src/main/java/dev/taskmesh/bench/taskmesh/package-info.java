/**
 * Taskmesh side of the benchmark: the platform started in-process through the launcher's {@code LocalPlatform},
 * real worker-agent processes for throughput and round trip, simulated STOMP agents for the fleet workload.
 */
package dev.taskmesh.bench.taskmesh;
