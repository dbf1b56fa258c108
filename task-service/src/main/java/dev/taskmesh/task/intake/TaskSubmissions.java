package dev.taskmesh.task.intake;

import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import dev.taskmesh.task.lifecycle.FanOut;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskRow;
import dev.taskmesh.task.lifecycle.TaskView;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * One submission, whichever way it arrives: {@code POST /api/v1/tasks} or a SEND on a person's STOMP session. The
 * request is already valid ({@link SubmitTaskRequest}'s constraints); what only the request as a whole can tell
 * (a group without children, a broadcast to nobody) is refused here.
 */
@Component
class TaskSubmissions {

    private static final Executor READS = command -> Thread.ofVirtual().name("submission-read").start(command);

    private final TaskQueries queries;
    private final TaskRequests requests;
    private final FanOut fanOut;
    private final GroupCommit groupCommit;

    TaskSubmissions(TaskQueries queries, TaskRequests requests, FanOut fanOut, GroupCommit groupCommit) {
        this.queries = queries;
        this.requests = requests;
        this.fanOut = fanOut;
        this.groupCommit = groupCommit;
    }

    /**
     * @param task    the task JSON right after the submission
     * @param created false when the caller's idempotency key named an earlier task, which {@code task} then is
     * @param outcome the outcome or the end of the wait, registered before the task was committed; null when the
     *                caller does not wait, or must look whether the task ended already ({@link GroupCommit.Stored})
     */
    record Submitted(TaskView task, boolean created, @Nullable CompletableFuture<Optional<TaskView>> outcome) {
    }

    /**
     * Submits a task and waits until it is stored; a body of {@code type: group} with {@code children}, or with
     * {@code broadcast}, submits a group parent and its children in one transaction.
     *
     * @param wait how long the caller will wait for the outcome; null when it does not
     */
    Submitted submit(SubmitTaskRequest request, Caller caller, @Nullable Duration wait) {
        try {
            return submitAsync(request, caller, wait).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /**
     * Submits a task; the answer completes once it is stored. A single task shares its transaction with those
     * submitted at the same moment ({@link GroupCommit}); its answer completes on the committer's thread, which the
     * caller should not keep long. What the request alone shows to be wrong is thrown at once, before anything is
     * stored.
     *
     * @param wait how long the caller will wait for the outcome; null when it does not
     */
    CompletableFuture<Submitted> submitAsync(SubmitTaskRequest request, Caller caller, @Nullable Duration wait) {
        TaskController.requirePerson(caller);
        boolean single = request.children() == null && !TaskRow.GROUP_TYPE.equals(request.type())
                && request.broadcast() == null;
        if (!single) {
            TaskRequests.Group group = group(request, caller);
            TaskLifecycle.Submission submission = fanOut.submitGroup(group.parent(), group.children());
            return CompletableFuture.completedFuture(new Submitted(queries.view(submission.task()),
                    submission.created(), null));
        }
        return groupCommit.submit(requests.toNewTask(request, caller.id(), caller.name()), wait)
                .thenCompose(stored -> stored.submission().created()
                        // a single task just stored has no attempts and no children: nothing to read back
                        ? CompletableFuture.completedFuture(new Submitted(
                                queries.viewOfNew(stored.submission().task()), true, stored.outcome()))
                        // an earlier task is read on a thread of its own, not on the committer's
                        : CompletableFuture.supplyAsync(() -> new Submitted(
                                queries.view(stored.submission().task()), false, null), READS));
    }

    private TaskRequests.Group group(SubmitTaskRequest request, Caller caller) {
        SubmitTaskRequest.Broadcast broadcast = request.broadcast();
        if (broadcast == null || request.children() != null || TaskRow.GROUP_TYPE.equals(request.type())) {
            return requests.toGroup(request, caller.id(), caller.name());
        }
        TaskRequests.checkBroadcast(broadcast);
        List<String> workers = broadcast.workers();
        if (workers == null) {
            String label = String.valueOf(broadcast.label());
            workers = fanOut.onlineWorkersWithLabel(label);
            if (workers.isEmpty()) {
                throw ApiException.badRequest("no online worker has label " + label);
            }
        }
        return requests.toBroadcast(request, caller.id(), caller.name(), workers);
    }
}
