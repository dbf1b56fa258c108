package dev.taskmesh.task.fanout;

import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.task.lifecycle.FanOut;
import dev.taskmesh.task.lifecycle.TaskChanged;
import dev.taskmesh.task.lifecycle.TaskRow;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * After a child's outcome is committed: its group may end ({@link FanOut#childFinished}), or the agent running its
 * parent is told ({@link ChildFinished} on {@code /user/queue/children}). With the in-process broker only an agent
 * connected to this instance hears it; an agent connected elsewhere catches up by submitting the child again (the
 * answer to a repeat of an ended child is followed by its {@code ChildFinished}).
 *
 * <p>The work runs on a few threads of its own, not in the committing thread: that thread still holds its database
 * connection while after-commit listeners run, and a second connection taken there could starve the pool.
 */
@Component
class ChildNotifier implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ChildNotifier.class);
    private static final int THREADS = 4;

    private final FanOut fanOut;
    private final SimpMessageSendingOperations messaging;
    private final ExecutorService executor = Executors.newFixedThreadPool(THREADS,
            Thread.ofVirtual().name("child-ended-", 0).factory());

    ChildNotifier(FanOut fanOut, SimpMessageSendingOperations messaging) {
        this.fanOut = fanOut;
        this.messaging = messaging;
    }

    @TransactionalEventListener
    void onTaskChanged(TaskChanged change) {
        TaskRow child = change.task();
        if (child.parentId() == null || !child.status().isFinal() || !change.statusChanged()) {
            return;
        }
        try {
            executor.execute(() -> childEnded(child));
        } catch (RejectedExecutionException e) {
            log.debug("Shutting down: the end of child {} is left to the group sweep", child.id());
        }
    }

    @Override
    public void destroy() throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }

    private void childEnded(TaskRow child) {
        try {
            fanOut.childFinished(child.parentId()).ifPresent(parent -> messaging.convertAndSendToUser(
                    String.valueOf(parent.workerId()), AgentDestinations.CHILDREN, new ChildFinished(parent.id(),
                            child.id(), child.status().name(), child.error(), child.workerId())));
        } catch (RuntimeException e) {
            // the child's outcome is committed whatever happens here; the group sweep ends its group later
            log.warn("Cannot handle the end of child {} of task {}: {}", child.id(), child.parentId(), e.toString());
        }
    }
}
