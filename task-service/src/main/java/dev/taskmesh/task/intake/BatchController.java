package dev.taskmesh.task.intake;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import dev.taskmesh.task.lifecycle.FanOut;
import dev.taskmesh.task.lifecycle.NewTask;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskRow;
import dev.taskmesh.task.lifecycle.TaskView;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/v1/tasks:batch}: up to {@value #MAX_TASKS} tasks in one request, each with the body of
 * {@code POST /api/v1/tasks}, checked all before any is stored and stored in one transaction (all or nothing). The
 * request body is held to the same JSON size limit as every other (1 MiB by default): a client splits larger
 * batches. Groups and broadcasts are submitted one per request.
 */
@RestController
class BatchController {

    static final int MAX_TASKS = 1000;
    static final String VIEW_IDS = "ids";
    static final String VIEW_FULL = "full";

    private final TaskRequests requests;
    private final FanOut fanOut;
    private final TaskQueries queries;

    BatchController(TaskRequests requests, FanOut fanOut, TaskQueries queries) {
        this.requests = requests;
        this.fanOut = fanOut;
        this.queries = queries;
    }

    /** Body of a batch. */
    record BatchRequest(@Nullable List<@Nullable SubmitTaskRequest> tasks) {
    }

    /** Answer with the task JSON of each item, in the order submitted (without children, as in lists). */
    record Items(List<TaskView> items) {
    }

    /** Answer of {@code ?view=ids}: the id of each item, in the order submitted. */
    record Ids(List<UUID> ids) {
    }

    /**
     * Stores the tasks; an item whose idempotency key the caller already used (before, or earlier in the batch) is
     * answered with the earlier task.
     *
     * @param view {@code full} (default) for the task JSON of each item, {@code ids} for their ids only
     */
    @PostMapping(ApiPaths.TASKS_BATCH)
    ResponseEntity<Object> submit(@RequestBody BatchRequest body,
                                  @RequestParam(defaultValue = VIEW_FULL) String view, Caller caller) {
        TaskController.requirePerson(caller);
        if (!VIEW_FULL.equals(view) && !VIEW_IDS.equals(view)) {
            throw ApiException.badRequest("view must be " + VIEW_FULL + " or " + VIEW_IDS);
        }
        List<@Nullable SubmitTaskRequest> items = body.tasks();
        if (items == null || items.isEmpty() || items.size() > MAX_TASKS) {
            throw ApiException.badRequest("tasks must hold 1 to " + MAX_TASKS + " tasks (split larger batches)");
        }
        List<NewTask> tasks = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            tasks.add(toNewTask(items.get(i), i, caller));
        }
        List<TaskRow> rows = fanOut.submitAll(tasks).stream().map(TaskLifecycle.Submission::task).toList();
        Object answer = VIEW_IDS.equals(view) ? new Ids(rows.stream().map(TaskRow::id).toList())
                : new Items(queries.views(rows));
        return ResponseEntity.status(HttpStatus.CREATED).body(answer);
    }

    private NewTask toNewTask(@Nullable SubmitTaskRequest item, int index, Caller caller) {
        String at = "tasks[" + index + "]";
        if (item == null) {
            throw ApiException.badRequest(at + ": must be a task, not null");
        }
        try {
            requests.validate(item);
            if (item.children() != null || item.broadcast() != null) {
                throw new TaskRequests.InvalidTask("", "groups and broadcasts are submitted one per request to "
                        + ApiPaths.TASKS);
            }
            return requests.toNewTask(item, caller.id(), caller.name());
        } catch (TaskRequests.InvalidTask e) {
            throw e.at(at);
        }
    }
}
