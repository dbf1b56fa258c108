package dev.taskmesh.contract.agent;

import java.util.List;

/**
 * Several {@link TaskAssignment}s in one frame, in the order the agent is to start them. Sent only to an agent whose
 * CONNECT announced {@link AgentDestinations#FEATURE_BATCHES}; each assignment means what it means alone.
 */
public record TaskAssignments(List<TaskAssignment> assignments) {

    public TaskAssignments {
        assignments = List.copyOf(assignments);
    }
}
