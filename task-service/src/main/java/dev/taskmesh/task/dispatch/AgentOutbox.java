package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.CompletionReceipts;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskAssignments;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.stereotype.Component;

/**
 * Sends assignments and receipts to an agent: several per frame to an agent that announced
 * {@value AgentDestinations#FEATURE_BATCHES} at CONNECT, one per frame to any other. Fewer frames mean fewer
 * WebSocket messages, JSON documents and thread hand-offs per task in the task-service, the gateway and the agent.
 */
@Component
class AgentOutbox {

    /** Most assignments in one frame. */
    static final int MAX_ASSIGNMENTS_PER_FRAME = 100;
    /**
     * Most bytes that the assignments of one frame may take by {@link WireJson#sizeBound}. The frame limit of the
     * gateway and of agents is 4 MiB; an assignment larger than this on its own still goes, alone.
     */
    static final long FRAME_BUDGET_BYTES = 1024 * 1024;
    /** Room for an assignment's fields other than its input (ids, instants, type, owner), generously. */
    private static final long ASSIGNMENT_OVERHEAD_BYTES = 1024;

    private final ConnectedAgents agents;
    private final SimpMessageSendingOperations messaging;
    private final DistributionSummary assignmentsPerFrame;
    private final DistributionSummary receiptsPerFrame;

    AgentOutbox(ConnectedAgents agents, SimpMessageSendingOperations messaging, MeterRegistry meters) {
        this.agents = agents;
        this.messaging = messaging;
        this.assignmentsPerFrame = perFrame("assignments", meters);
        this.receiptsPerFrame = perFrame("receipts", meters);
    }

    /** How many messages each frame to an agent carried: 1 for agents without batches. */
    static DistributionSummary perFrame(String messages, MeterRegistry meters) {
        return DistributionSummary.builder("taskmesh.agent.frame." + messages)
                .description("Messages per STOMP frame between agents and this instance: " + messages)
                .baseUnit(messages).register(meters);
    }

    void assign(String workerId, List<TaskAssignment> assignments) {
        if (!agents.speaksBatches(workerId)) {
            for (TaskAssignment assignment : assignments) {
                messaging.convertAndSendToUser(workerId, AgentDestinations.ASSIGNMENTS, assignment);
                assignmentsPerFrame.record(1);
            }
            return;
        }
        for (List<TaskAssignment> frame : frames(assignments)) {
            messaging.convertAndSendToUser(workerId, AgentDestinations.ASSIGNMENT_BATCHES, new TaskAssignments(frame));
            assignmentsPerFrame.record(frame.size());
        }
    }

    /** Receipts are small: all of one commit go in one frame (a commit holds at most 256 completions). */
    void receipts(String workerId, List<CompletionReceipt> receipts) {
        if (agents.speaksBatches(workerId)) {
            messaging.convertAndSendToUser(workerId, AgentDestinations.RECEIPT_BATCHES,
                    new CompletionReceipts(receipts));
            receiptsPerFrame.record(receipts.size());
        } else {
            for (CompletionReceipt receipt : receipts) {
                messaging.convertAndSendToUser(workerId, AgentDestinations.RECEIPTS, receipt);
                receiptsPerFrame.record(1);
            }
        }
    }

    /** Consecutive runs of assignments within {@link #MAX_ASSIGNMENTS_PER_FRAME} and {@link #FRAME_BUDGET_BYTES}. */
    static List<List<TaskAssignment>> frames(List<TaskAssignment> assignments) {
        List<List<TaskAssignment>> frames = new ArrayList<>();
        List<TaskAssignment> frame = new ArrayList<>();
        long bytes = 0;
        for (TaskAssignment assignment : assignments) {
            long size = ASSIGNMENT_OVERHEAD_BYTES + WireJson.sizeBound(assignment.input())
                    + labelBytes(assignment.labels());
            if (!frame.isEmpty() && (frame.size() == MAX_ASSIGNMENTS_PER_FRAME || bytes + size > FRAME_BUDGET_BYTES)) {
                frames.add(frame);
                frame = new ArrayList<>();
                bytes = 0;
            }
            frame.add(assignment);
            bytes += size;
        }
        if (!frame.isEmpty()) {
            frames.add(frame);
        }
        return frames;
    }

    private static long labelBytes(Map<String, String> labels) {
        long bytes = 0;
        for (Map.Entry<String, String> label : labels.entrySet()) {
            bytes += 6L + 6L * (label.getKey().length() + label.getValue().length());
        }
        return bytes;
    }
}
