package dev.taskmesh.contract.agent;

import java.util.List;

/**
 * Several {@link TaskCompletion}s in one frame, each answered by its own receipt. An agent sends them only in a
 * session in which the server has sent it a batch ({@link TaskAssignments} or {@link CompletionReceipts}): that is
 * how it knows that the server reads them.
 */
public record TaskCompletions(List<TaskCompletion> completions) {

    /** Most completions in one frame; the frame must also stay under the server's 1 MiB frame limit. */
    public static final int MAX_COMPLETIONS = 256;

    public TaskCompletions {
        completions = List.copyOf(completions);
    }
}
