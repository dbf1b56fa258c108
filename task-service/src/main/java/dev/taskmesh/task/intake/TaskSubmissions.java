package dev.taskmesh.task.intake;

import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import dev.taskmesh.task.lifecycle.FanOut;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskRow;
import dev.taskmesh.task.lifecycle.TaskView;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * One submission, whichever way it arrives: {@code POST /api/v1/tasks} or a SEND on a person's STOMP session. The
 * request is already valid ({@link SubmitTaskRequest}'s constraints); what only the request as a whole can tell
 * (a group without children, a broadcast to nobody) is refused here.
 */
@Component
class TaskSubmissions {

    private final TaskLifecycle lifecycle;
    private final TaskQueries queries;
    private final TaskRequests requests;
    private final FanOut fanOut;

    TaskSubmissions(TaskLifecycle lifecycle, TaskQueries queries, TaskRequests requests, FanOut fanOut) {
        this.lifecycle = lifecycle;
        this.queries = queries;
        this.requests = requests;
        this.fanOut = fanOut;
    }

    /**
     * @param task    the task JSON right after the submission
     * @param created false when the caller's idempotency key named an earlier task, which {@code task} then is
     */
    record Submitted(TaskView task, boolean created) {
    }

    /**
     * Submits a task; a body of {@code type: group} with {@code children}, or with {@code broadcast}, submits a group
     * parent and its children in one transaction.
     */
    Submitted submit(SubmitTaskRequest request, Caller caller) {
        TaskController.requirePerson(caller);
        boolean single = request.children() == null && !TaskRow.GROUP_TYPE.equals(request.type())
                && request.broadcast() == null;
        TaskLifecycle.Submission submission;
        if (single) {
            submission = lifecycle.submit(requests.toNewTask(request, caller.id(), caller.name()));
        } else {
            TaskRequests.Group group = group(request, caller);
            submission = fanOut.submitGroup(group.parent(), group.children());
        }
        // a single task just stored has no attempts and no children: nothing to read back
        TaskView view = single && submission.created() ? queries.viewOfNew(submission.task())
                : queries.view(submission.task());
        return new Submitted(view, submission.created());
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
