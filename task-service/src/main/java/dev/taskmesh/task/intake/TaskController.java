package dev.taskmesh.task.intake;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import dev.taskmesh.task.lifecycle.LifecycleProperties;
import dev.taskmesh.task.lifecycle.NewTask;
import dev.taskmesh.task.lifecycle.Requirements;
import dev.taskmesh.task.lifecycle.TaskFilter;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskPage;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskView;
import jakarta.validation.Valid;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Tasks over REST, for users and admins. A user sees and cancels only their own tasks. Worker tokens are refused,
 * except that a worker may read a task whose current attempt it holds (the result-service checks uploads so).
 */
@RestController
@RequestMapping(ApiPaths.TASKS)
class TaskController {

    /** Header of a 200 answer to a submission that repeated an idempotency key. */
    static final String REPLAYED_HEADER = "Idempotent-Replayed";
    static final String COMMAND = "command";
    private static final int MAX_PAGE_SIZE = 200;

    private final TaskLifecycle lifecycle;
    private final TaskQueries queries;
    private final TaskProperties properties;
    private final LifecycleProperties lifecycleProperties;

    TaskController(TaskLifecycle lifecycle, TaskQueries queries, TaskProperties properties,
                   LifecycleProperties lifecycleProperties) {
        this.lifecycle = lifecycle;
        this.queries = queries;
        this.properties = properties;
        this.lifecycleProperties = lifecycleProperties;
    }

    @PostMapping
    ResponseEntity<TaskView> submit(@Valid @RequestBody SubmitTaskRequest request, Caller caller) {
        requirePerson(caller);
        TaskLifecycle.Submission submission = lifecycle.submit(toNewTask(request, caller));
        TaskView view = queries.view(submission.task());
        URI location = URI.create(ApiPaths.TASKS + "/" + view.id());
        if (!submission.created()) {
            return ResponseEntity.ok().location(location).header(REPLAYED_HEADER, "true").body(view);
        }
        return ResponseEntity.created(location).body(view);
    }

    @GetMapping("/{id}")
    TaskView get(@PathVariable UUID id, Caller caller) {
        TaskView task = queries.find(id).orElseThrow(() -> ApiException.notFound("No task " + id));
        boolean holdsIt = caller.isWorker() && caller.id().equals(task.workerId());
        if (!holdsIt) {
            requirePerson(caller);
            requireAccess(caller, task);
        }
        return task;
    }

    @GetMapping
    TaskPage list(@RequestParam(required = false) @Nullable String status,
                  @RequestParam(required = false) @Nullable String type,
                  @RequestParam(required = false) @Nullable String owner,
                  @RequestParam(defaultValue = "0") int page,
                  @RequestParam(defaultValue = "20") int size,
                  Caller caller) {
        requirePerson(caller);
        if (page < 0) {
            throw ApiException.badRequest("page must be 0 or more");
        }
        if (size < 1 || size > MAX_PAGE_SIZE) {
            throw ApiException.badRequest("size must be between 1 and " + MAX_PAGE_SIZE);
        }
        String ownerFilter = owner;
        if (!caller.isAdmin()) {
            if (owner != null && !owner.equals(caller.id())) {
                throw ApiException.forbidden("Only admins may list the tasks of other users");
            }
            ownerFilter = caller.id();
        }
        return queries.page(new TaskFilter(parseStatus(status), blankToNull(type), blankToNull(ownerFilter), page,
                size));
    }

    @PostMapping("/{id}/cancel")
    TaskView cancel(@PathVariable UUID id, Caller caller) {
        requirePerson(caller);
        TaskView task = queries.find(id).orElseThrow(() -> ApiException.notFound("No task " + id));
        requireAccess(caller, task);
        TaskLifecycle.Cancellation result = lifecycle.cancel(id, caller.name())
                .orElseThrow(() -> ApiException.notFound("No task " + id));
        if (!result.cancelled()) {
            throw ApiException.conflict("Task " + id + " is already " + result.task().status()
                    + " and cannot be cancelled");
        }
        return queries.view(result.task());
    }

    private NewTask toNewTask(SubmitTaskRequest request, Caller caller) {
        JsonNode input = request.input() == null || request.input().isNull()
                ? JsonNodeFactory.instance.objectNode() : request.input();
        if (!input.isObject()) {
            throw ApiException.badRequest("input must be a JSON object");
        }
        if (COMMAND.equals(request.type())) {
            checkCommandInput(input);
        }
        SubmitTaskRequest.Requirements r = request.requirements();
        Requirements requirements = r == null ? Requirements.NONE
                : new Requirements(orZero(r.cpus()), r.memoryMb() == null ? 0 : r.memoryMb(), orZero(r.gpus()),
                        r.gpuMemoryMb() == null ? 0 : r.gpuMemoryMb(), r.labels() == null ? List.of() : r.labels());
        Duration defaultQueueTimeout = lifecycleProperties.defaultQueueTimeout();
        Integer queueTimeout = request.queueTimeoutSeconds() != null ? request.queueTimeoutSeconds()
                : defaultQueueTimeout == null ? null : (int) Math.max(1, defaultQueueTimeout.toSeconds());
        SubmitTaskRequest.Retry retry = request.retry();
        return new NewTask(request.type(), caller.id(), caller.name(), input, requirements,
                orZero(request.priority()), request.timeoutSeconds(),
                request.maxAttempts() == null ? properties.defaultMaxAttempts() : request.maxAttempts(),
                blankToNull(request.idempotencyKey()),
                request.targetWorkers() == null ? List.of() : request.targetWorkers().stream().distinct().toList(),
                queueTimeout, retry == null ? null : retry.backoffSeconds(),
                retry == null ? null : retry.maxBackoffSeconds());
    }

    /** A command runs {@code argv} directly (no shell) with {@code env} added to the agent's environment. */
    private static void checkCommandInput(JsonNode input) {
        JsonNode argv = input.get("argv");
        if (argv == null || !argv.isArray() || argv.isEmpty()) {
            throw ApiException.badRequest("input.argv must be a non-empty array of strings for type command");
        }
        for (JsonNode arg : argv) {
            if (!arg.isString()) {
                throw ApiException.badRequest("input.argv must contain only strings, found " + arg.getNodeType()
                        .name().toLowerCase(Locale.ROOT));
            }
        }
        JsonNode env = input.get("env");
        if (env != null && !env.isNull()) {
            if (!env.isObject()) {
                throw ApiException.badRequest("input.env must be an object of strings for type command");
            }
            for (Map.Entry<String, JsonNode> variable : env.properties()) {
                if (!variable.getValue().isString()) {
                    throw ApiException.badRequest("input.env." + variable.getKey() + " must be a string");
                }
            }
        }
    }

    private static void requirePerson(Caller caller) {
        if (!caller.roles().contains(Claims.ROLE_USER) && !caller.isAdmin()) {
            throw ApiException.forbidden("Tasks are submitted and read by users; this token's roles "
                    + caller.roles() + " do not allow it");
        }
    }

    private static void requireAccess(Caller caller, TaskView task) {
        if (!caller.mayAccess(task.owner())) {
            throw ApiException.forbidden("Task " + task.id() + " belongs to another user");
        }
    }

    private static @Nullable TaskStatus parseStatus(@Nullable String status) {
        if (status == null || status.isBlank()) {
            return null;
        }
        try {
            return TaskStatus.valueOf(status.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("status must be one of " + List.of(TaskStatus.values()));
        }
    }

    private static int orZero(@Nullable Integer value) {
        return value == null ? 0 : value;
    }

    private static @Nullable String blankToNull(@Nullable String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
