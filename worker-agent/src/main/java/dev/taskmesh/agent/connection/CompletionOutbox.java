package dev.taskmesh.agent.connection;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.OutputFile;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskCompletions;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Sends completions several per frame without waiting for one to come: whichever thread finds the outbox free sends
 * everything queued meanwhile, the others only queue theirs. Under load completions gather while a frame is written;
 * alone, a completion goes at once.
 */
public final class CompletionOutbox {

    /**
     * Most bytes one frame may take by {@link #sizeBound}: half the server's 1 MiB frame limit, as the bound of a
     * completion may fall short by the frame's few bytes of its own.
     */
    static final long FRAME_BUDGET_BYTES = 512 * 1024;
    private static final long COMPLETION_OVERHEAD_BYTES = 512;

    private final Predicate<List<TaskCompletion>> sender;
    private final Queue<TaskCompletion> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock sending = new ReentrantLock();

    /** @param sender sends a frame's completions, answers whether they were handed to the connection */
    public CompletionOutbox(Predicate<List<TaskCompletion>> sender) {
        this.sender = sender;
    }

    /**
     * Sends the completion, maybe together with others, maybe from another thread. One that cannot be sent (not
     * connected) is dropped here: the agent keeps every completion until its receipt and sends it again after a
     * reconnect.
     */
    public void send(TaskCompletion completion) {
        queue.add(completion);
        // a thread that finds the lock held leaves its completion to the holder, which looks again after unlocking
        while (!queue.isEmpty() && sending.tryLock()) {
            try {
                List<TaskCompletion> frame;
                while (!(frame = nextFrame()).isEmpty()) {
                    sender.test(frame);
                }
            } finally {
                sending.unlock();
            }
        }
    }

    private List<TaskCompletion> nextFrame() {
        List<TaskCompletion> frame = new ArrayList<>();
        long bytes = 0;
        TaskCompletion next;
        while (frame.size() < TaskCompletions.MAX_COMPLETIONS && (next = queue.peek()) != null) {
            long size = sizeBound(next);
            if (!frame.isEmpty() && bytes + size > FRAME_BUDGET_BYTES) {
                break;
            }
            frame.add(queue.poll());
            bytes += size;
        }
        return frame;
    }

    /** At least the bytes of the completion as JSON (see {@link WireJson#sizeBound}). */
    static long sizeBound(TaskCompletion completion) {
        long bytes = COMPLETION_OVERHEAD_BYTES;
        if (completion.error() != null) {
            bytes += 6L * completion.error().length();
        }
        for (OutputFile file : completion.files()) {
            bytes += 200 + 6L * file.name().length();
        }
        if (completion.output() != null) {
            bytes += WireJson.sizeBound(completion.output());
        }
        return bytes;
    }
}
