package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Gpu;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.task.lifecycle.AgentOffer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;

/**
 * The agents connected to this instance, registered by their first heartbeat after CONNECT and forgotten when
 * their session ends. Memory only: after a restart, agents reconnect and their heartbeats rebuild it.
 *
 * <p>Free slots are the agent's last report minus the tasks pushed to it since that it has not reported yet, so
 * that an assignment in flight is not counted as a free slot twice.
 */
@Component
class ConnectedAgents implements WorkerDirectory {

    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final ApplicationEventPublisher events;

    ConnectedAgents(MeterRegistry meters, ApplicationEventPublisher events) {
        this.events = events;
        Gauge.builder("taskmesh.agents.connected", agents, Map::size)
                .description("Agents connected to this instance").register(meters);
    }

    /** Whether this session of the worker is registered (has sent a heartbeat). */
    boolean isRegistered(String workerId, String sessionId) {
        Agent agent = agents.get(workerId);
        return agent != null && agent.sessionId.equals(sessionId);
    }

    /**
     * Registers or updates the agent from its heartbeat; a newer session of the same worker replaces the old one.
     *
     * @return the free slots now
     */
    int heartbeat(String workerId, String sessionId, boolean speaksBatches, Heartbeat heartbeat, Instant now) {
        boolean[] registered = {false};
        Agent agent = agents.compute(workerId, (id, current) -> {
            if (current != null && current.sessionId.equals(sessionId)) {
                return current;
            }
            registered[0] = true;
            return new Agent(id, sessionId, speaksBatches);
        });
        int free = agent.update(heartbeat, now);
        events.publishEvent(new AgentChanged(agent.summary(true), registered[0]));
        return free;
    }

    /** The session ended; a newer session of the same worker stays. */
    void disconnected(String workerId, String sessionId) {
        Agent[] gone = new Agent[1];
        agents.computeIfPresent(workerId, (id, agent) -> {
            if (agent.sessionId.equals(sessionId)) {
                gone[0] = agent;
                return null;
            }
            return agent;
        });
        if (gone[0] != null) {
            events.publishEvent(new AgentChanged(gone[0].summary(false), false));
        }
    }

    @Override
    public List<WorkerSummary> connectedWorkers() {
        return agents.values().stream().map(agent -> agent.summary(true)).toList();
    }

    /** Forgets agents silent since before {@code cutoff} (a connection that died without a close). */
    List<String> forgetSilentSince(Instant cutoff) {
        List<String> forgotten = new ArrayList<>();
        List<Agent> gone = new ArrayList<>();
        agents.values().removeIf(agent -> {
            boolean silent = agent.lastHeartbeat().isBefore(cutoff);
            if (silent) {
                forgotten.add(agent.workerId);
                gone.add(agent);
            }
            return silent;
        });
        gone.forEach(agent -> events.publishEvent(new AgentChanged(agent.summary(false), false)));
        return forgotten;
    }

    /** What each agent with a free slot can take now. */
    List<AgentOffer> offers() {
        return offers(Map.of());
    }

    /**
     * What each agent can take once the given slots are free too (completions being recorded, whose slots
     * {@link #released} frees after their commit), as if they were free now.
     */
    List<AgentOffer> offers(Map<String, Integer> slotsBeingFreed) {
        List<AgentOffer> offers = new ArrayList<>();
        for (Agent agent : agents.values()) {
            AgentOffer offer = agent.offer(slotsBeingFreed.getOrDefault(agent.workerId, 0));
            if (offer != null) {
                offers.add(offer);
            }
        }
        return offers;
    }

    /** Whether the worker's registered session announced {@code batches} at CONNECT. */
    boolean speaksBatches(String workerId) {
        Agent agent = agents.get(workerId);
        return agent != null && agent.speaksBatches;
    }

    void assigned(String workerId, List<RunningAttempt> attempts, Instant now) {
        Agent agent = agents.get(workerId);
        if (agent != null) {
            agent.assigned(attempts, now);
        }
    }

    /** The agent finished an attempt: its slot is free until its next heartbeat says otherwise. */
    void released(String workerId, RunningAttempt attempt) {
        Agent agent = agents.get(workerId);
        if (agent != null) {
            agent.released(attempt);
        }
    }

    int size() {
        return agents.size();
    }

    /** One connected agent; its mutable state is guarded by its own lock. */
    private static final class Agent {

        final String workerId;
        final String sessionId;
        final boolean speaksBatches;
        private Capabilities capabilities = new Capabilities(0, 0, List.of(), List.of(), List.of(), 0, "", "");
        private Instant lastHeartbeat = Instant.EPOCH;
        private int freeSlots;
        private int reportedFreeSlots;
        private int running;
        /** Tasks the agent takes at most: its slots, or more when it prefetches (its free slots plus what it holds). */
        private int capacity;
        /** Pushed to the agent, not yet in one of its heartbeats, with when they were pushed. */
        private final Map<RunningAttempt, Instant> inFlight = new HashMap<>();

        Agent(String workerId, String sessionId, boolean speaksBatches) {
            this.workerId = workerId;
            this.sessionId = sessionId;
            this.speaksBatches = speaksBatches;
        }

        synchronized int update(Heartbeat heartbeat, Instant now) {
            capabilities = heartbeat.capabilities();
            lastHeartbeat = now;
            Set<RunningAttempt> running = new HashSet<>(heartbeat.running());
            // an assignment older than a few heartbeats that the agent never reported did not arrive
            Instant tooOld = now.minusSeconds(60);
            inFlight.entrySet().removeIf(e -> running.contains(e.getKey()) || e.getValue().isBefore(tooOld));
            freeSlots = Math.max(0, heartbeat.freeSlots() - inFlight.size());
            reportedFreeSlots = heartbeat.freeSlots();
            this.running = running.size();
            capacity = Math.max(capabilities.slots(), heartbeat.freeSlots() + running.size());
            return freeSlots;
        }

        synchronized WorkerSummary summary(boolean online) {
            boolean draining = capabilities.slots() > 0 && reportedFreeSlots == 0 && running < capabilities.slots();
            int free = online ? Math.max(0, freeSlots) : 0;
            return new WorkerSummary(workerId, online, capabilities, free, running, draining,
                    lastHeartbeat);
        }

        synchronized Instant lastHeartbeat() {
            return lastHeartbeat;
        }

        synchronized @Nullable AgentOffer offer(int slotsBeingFreed) {
            int free = Math.min(freeSlots + slotsBeingFreed, Math.max(freeSlots, capacity));
            if (free <= 0) {
                return null;
            }
            return new AgentOffer(workerId, capabilities.taskTypes(), capabilities.cpus(), capabilities.memoryMb(),
                    capabilities.gpus().stream().map(Gpu::memoryMb).toList(), capabilities.labels(), free);
        }

        synchronized void assigned(List<RunningAttempt> attempts, Instant now) {
            attempts.forEach(a -> inFlight.put(a, now));
            // below zero when the claim counted slots that completions free right after (released)
            freeSlots -= attempts.size();
        }

        synchronized void released(RunningAttempt attempt) {
            inFlight.remove(attempt);
            freeSlots = Math.min(freeSlots + 1, Math.max(0, capacity - inFlight.size()));
        }
    }
}
