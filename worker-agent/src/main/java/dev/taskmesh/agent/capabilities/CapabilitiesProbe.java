package dev.taskmesh.agent.capabilities;

import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Gpu;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks at the node once, at start: CPUs, memory and GPUs do not change while the agent runs. */
public final class CapabilitiesProbe {

    private static final Logger log = LoggerFactory.getLogger(CapabilitiesProbe.class);

    private CapabilitiesProbe() {
    }

    /**
     * The node's capabilities.
     *
     * @param taskTypes {@code command} and the types of the discovered handlers
     * @param labels    the configured labels
     * @param slots     how many tasks the agent runs at once
     */
    public static Capabilities probe(List<String> taskTypes, List<String> labels, int slots) {
        List<Gpu> gpus = NvidiaSmi.detect();
        Capabilities capabilities = new Capabilities(Runtime.getRuntime().availableProcessors(), memoryMb(), gpus,
                taskTypes, labels, slots, hostname(), AgentVersion.current());
        log.info("Capabilities: {} CPUs, {} MiB, {} GPU(s), types {}, labels {}, {} slot(s)", capabilities.cpus(),
                capabilities.memoryMb(), gpus.size(), taskTypes, labels, slots);
        return capabilities;
    }

    /** Total physical memory in MiB (the container's limit inside a container), 0 when unknown. */
    static long memoryMb() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize() / (1024 * 1024);
        }
        return 0;
    }

    static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String fromEnv = System.getenv("HOSTNAME");
            return fromEnv == null || fromEnv.isBlank() ? "unknown" : fromEnv;
        }
    }
}
