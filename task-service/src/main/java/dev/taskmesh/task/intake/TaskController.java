package dev.taskmesh.task.intake;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import dev.taskmesh.task.lifecycle.TaskCursor;
import dev.taskmesh.task.lifecycle.TaskFilter;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskPage;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskRow;
import dev.taskmesh.task.lifecycle.TaskView;
import jakarta.validation.Valid;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Tasks over REST, for users and admins. A user sees and cancels only their own tasks. Worker tokens are refused,
 * except that a worker may read a task whose current attempt it holds (the result-service checks uploads so).
 */
@RestController
@RequestMapping(ApiPaths.TASKS)
class TaskController {

    /** Header of a 200 answer to a submission that repeated an idempotency key. */
    static final String REPLAYED_HEADER = "Idempotent-Replayed";
    private static final int MAX_PAGE_SIZE = 200;
    private static final int MAX_SEARCH_LENGTH = 64;
    /** The longest {@code waitSeconds} of {@code GET /api/v1/tasks/{id}} and {@code POST /api/v1/tasks}. */
    static final int MAX_WAIT_SECONDS = 60;

    private final TaskLifecycle lifecycle;
    private final TaskQueries queries;
    private final TaskSubmissions submissions;
    private final CompletionWaiters waiters;

    TaskController(TaskLifecycle lifecycle, TaskQueries queries, TaskSubmissions submissions,
                   CompletionWaiters waiters) {
        this.lifecycle = lifecycle;
        this.queries = queries;
        this.submissions = submissions;
        this.waiters = waiters;
    }

    /**
     * Submits a task; a body of {@code type: group} with {@code children}, or with {@code broadcast}, submits a group
     * parent and its children in one transaction.
     */
    @PostMapping
    ResponseEntity<TaskView> submit(@Valid @RequestBody SubmitTaskRequest request, Caller caller) {
        return answer(submissions.submit(request, caller, null));
    }

    /** 201 with the task's location, or 200 with the replay header for an idempotency key used before. */
    private static ResponseEntity<TaskView> answer(TaskSubmissions.Submitted submitted) {
        TaskView view = submitted.task();
        URI location = URI.create(ApiPaths.TASKS + "/" + view.id());
        if (!submitted.created()) {
            return ResponseEntity.ok().location(location).header(REPLAYED_HEADER, "true").body(view);
        }
        return ResponseEntity.created(location).body(view);
    }

    /**
     * Submits a task and answers once it has its outcome, or after {@code waitSeconds} (0 to
     * {@value #MAX_WAIT_SECONDS}) with its state then: a call and its result in one request. The status is that of
     * the submission (201, or 200 for a repeated idempotency key); the body is the task JSON at the end of the wait.
     */
    @PostMapping(params = "waitSeconds")
    ResponseEntity<TaskView> submitAndWait(@Valid @RequestBody SubmitTaskRequest request,
                                           @RequestParam int waitSeconds, Caller caller) throws InterruptedException {
        requireWait(waitSeconds);
        TaskSubmissions.Submitted submitted = submissions.submit(request, caller,
                waitSeconds == 0 ? null : Duration.ofSeconds(waitSeconds));
        ResponseEntity<TaskView> answer = answer(submitted);
        TaskView view = submitted.task();
        if (view.status().isFinal() || waitSeconds == 0) {
            return answer;
        }
        // a task just created had its waiter registered before its commit; an earlier one may have ended already
        CompletableFuture<Optional<TaskView>> outcome = submitted.outcome() != null ? submitted.outcome()
                : waiters.finalOrTimeout(view.id(), Duration.ofSeconds(waitSeconds),
                        () -> queries.status(view.id()).map(TaskStatus::isFinal).orElse(true));
        TaskView now = CompletionWaiters.await(outcome, view.id())
                .or(() -> queries.find(view.id()))
                .orElseThrow(() -> ApiException.notFound("No task " + view.id()));
        return ResponseEntity.status(answer.getStatusCode()).headers(answer.getHeaders()).body(now);
    }

    private static void requireWait(int waitSeconds) {
        if (waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
            throw ApiException.badRequest("waitSeconds must be between 0 and " + MAX_WAIT_SECONDS);
        }
    }

    @GetMapping("/{id}")
    TaskView get(@PathVariable UUID id, Caller caller) {
        TaskView task = queries.find(id).orElseThrow(() -> ApiException.notFound("No task " + id));
        requireReadable(caller, id, task.owner(), task.workerId());
        return task;
    }

    /** People read their own tasks (admins all); a worker reads a task whose current attempt it holds. */
    private static void requireReadable(Caller caller, UUID id, String owner, @Nullable String workerId) {
        boolean holdsIt = caller.isWorker() && caller.id().equals(workerId);
        if (!holdsIt) {
            requirePerson(caller);
            if (!caller.mayAccess(owner)) {
                throw ApiException.forbidden("Task " + id + " belongs to another user");
            }
        }
    }

    /**
     * The task once it has its outcome, or after {@code waitSeconds} (0 to {@value #MAX_WAIT_SECONDS}) with its state
     * then. The request waits on a virtual thread for an outcome recorded by this instance, and reads the task again
     * at the end of the wait: an outcome recorded by another instance is seen then.
     */
    @GetMapping(path = "/{id}", params = "waitSeconds")
    TaskView getWhenFinal(@PathVariable UUID id, @RequestParam int waitSeconds, Caller caller)
            throws InterruptedException {
        requireWait(waitSeconds);
        // the row alone for the checks: the whole task JSON is read once, at the end
        TaskRow row = queries.row(id).orElseThrow(() -> ApiException.notFound("No task " + id));
        requireReadable(caller, id, row.owner(), row.workerId());
        Optional<TaskView> ended = Optional.empty();
        if (!row.status().isFinal() && waitSeconds > 0) {
            ended = CompletionWaiters.await(waiters.finalOrTimeout(id, Duration.ofSeconds(waitSeconds),
                    () -> queries.status(id).map(TaskStatus::isFinal).orElse(true)), id);
        }
        return ended.or(() -> queries.find(id)).orElseThrow(() -> ApiException.notFound("No task " + id));
    }

    /** The children of a task (or group, or broadcast), oldest first, as task JSON. */
    @GetMapping("/{id}/children")
    TaskPage children(@PathVariable UUID id, @RequestParam(defaultValue = "0") int page,
                      @RequestParam(defaultValue = "20") int size, Caller caller) {
        get(id, caller);
        checkPage(page, size);
        return queries.children(id, page, size);
    }

    /**
     * Tasks newest first. Filters: {@code status}, {@code type}, {@code owner} (admins), {@code createdAfter}
     * (inclusive) and {@code createdBefore} (exclusive) as ISO-8601 instants, {@code q} (an exact task id, a task id
     * prefix or a type prefix). Paging by {@code page} and {@code size}, or by the {@code nextCursor} of the
     * previous answer passed as {@code after}, which stays fast however deep the page.
     */
    @GetMapping
    TaskPage list(@RequestParam(required = false) @Nullable String status,
                  @RequestParam(required = false) @Nullable String type,
                  @RequestParam(required = false) @Nullable String owner,
                  @RequestParam(defaultValue = "0") int page,
                  @RequestParam(defaultValue = "20") int size,
                  @RequestParam(required = false) @Nullable String createdAfter,
                  @RequestParam(required = false) @Nullable String createdBefore,
                  @RequestParam(required = false) @Nullable String q,
                  @RequestParam(required = false) @Nullable String after,
                  Caller caller) {
        requirePerson(caller);
        checkPage(page, size);
        String ownerFilter = owner;
        if (!caller.isAdmin()) {
            if (owner != null && !owner.equals(caller.id())) {
                throw ApiException.forbidden("Only admins may list the tasks of other users");
            }
            ownerFilter = caller.id();
        }
        TaskCursor cursor = null;
        if (after != null && !after.isBlank()) {
            if (page > 0) {
                throw ApiException.badRequest("use either page or after, not both");
            }
            try {
                cursor = TaskCursor.decode(after);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("after must be the nextCursor of a previous answer");
            }
        }
        String search = blankToNull(q);
        if (search != null && search.length() > MAX_SEARCH_LENGTH) {
            throw ApiException.badRequest("q must be at most " + MAX_SEARCH_LENGTH + " characters");
        }
        return queries.page(new TaskFilter(parseStatus(status), blankToNull(type), blankToNull(ownerFilter), page,
                size, instant("createdAfter", createdAfter), instant("createdBefore", createdBefore), search, cursor));
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

    private static void checkPage(int page, int size) {
        if (page < 0) {
            throw ApiException.badRequest("page must be 0 or more");
        }
        if (size < 1 || size > MAX_PAGE_SIZE) {
            throw ApiException.badRequest("size must be between 1 and " + MAX_PAGE_SIZE);
        }
    }

    static void requirePerson(Caller caller) {
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

    static @Nullable Instant instant(String name, @Nullable String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value.trim()).toInstant();
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(name + " must be an ISO-8601 instant such as 2026-01-31T12:00:00Z");
        }
    }

    private static @Nullable String blankToNull(@Nullable String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
