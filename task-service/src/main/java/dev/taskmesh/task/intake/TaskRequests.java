package dev.taskmesh.task.intake;

import dev.taskmesh.support.ApiException;
import dev.taskmesh.task.lifecycle.LifecycleProperties;
import dev.taskmesh.task.lifecycle.NewTask;
import dev.taskmesh.task.lifecycle.Requirements;
import dev.taskmesh.task.lifecycle.TaskRow;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns submission bodies ({@link SubmitTaskRequest}) into tasks to store, with the checks bean validation cannot
 * express: a {@code command}'s input, and what groups, broadcasts and children may hold. Used by the REST intake and
 * by the agents' child submissions.
 */
@Component
public class TaskRequests {

    static final String COMMAND = "command";

    private final TaskProperties properties;
    private final LifecycleProperties lifecycle;
    private final Validator validator;
    private final JsonMapper json;

    TaskRequests(TaskProperties properties, LifecycleProperties lifecycle, Validator validator, JsonMapper json) {
        this.properties = properties;
        this.lifecycle = lifecycle;
        this.validator = validator;
        this.json = json;
    }

    /** A submission that is not a valid task: the field at fault (a JSON path, empty for the whole task) and why. */
    static final class InvalidTask extends ApiException {

        private final String field;
        private final String reason;

        InvalidTask(String field, String reason) {
            this(field, reason, field.isEmpty() ? reason : field + " " + reason);
        }

        private InvalidTask(String field, String reason, String message) {
            super(HttpStatus.BAD_REQUEST, message);
            this.field = field;
            this.reason = reason;
        }

        /** The same problem inside a list, e.g. {@code tasks[17].input.argv: must not be empty}. */
        InvalidTask at(String prefix) {
            String path = field.isEmpty() ? prefix : prefix + "." + field;
            return new InvalidTask(path, reason, path + ": " + reason);
        }
    }

    /** A group parent with its children, ready to be stored. */
    record Group(NewTask parent, List<NewTask> children) {
    }

    /**
     * A task submitted by a running task through its agent: the body of {@code POST /api/v1/tasks} as JSON, with the
     * parent's owner. Groups, broadcasts and idempotency keys are refused (the request id makes a resend safe).
     *
     * @throws ApiException when the body is not a valid task
     */
    public NewTask child(JsonNode body, String owner, String ownerName) {
        if (!body.isObject()) {
            throw new InvalidTask("task", "must be a JSON object with the body of POST /api/v1/tasks");
        }
        SubmitTaskRequest request;
        try {
            request = json.treeToValue(body, SubmitTaskRequest.class);
        } catch (JacksonException e) {
            throw new InvalidTask("task", "cannot be read: " + e.getOriginalMessage());
        }
        validate(request);
        if (request.idempotencyKey() != null) {
            throw new InvalidTask("idempotencyKey", "is not taken for children of a task: the requestId of the "
                    + "submission makes a resend safe");
        }
        return toNewTask(request, owner, ownerName);
    }

    /** Bean validation of one item of a list, which {@code @Valid} does not reach; the first problem by field. */
    void validate(SubmitTaskRequest request) {
        List<ConstraintViolation<SubmitTaskRequest>> violations = new ArrayList<>(validator.validate(request));
        violations.sort(Comparator.comparing(v -> v.getPropertyPath().toString()));
        if (!violations.isEmpty()) {
            ConstraintViolation<SubmitTaskRequest> first = violations.getFirst();
            throw new InvalidTask(first.getPropertyPath().toString(), first.getMessage());
        }
    }

    /** A single task: no group, broadcast or parent. */
    NewTask toNewTask(SubmitTaskRequest request, String owner, String ownerName) {
        if (request.parentId() != null) {
            throw new InvalidTask("parentId", "is set by the platform: a running task submits its children "
                    + "through its agent");
        }
        if (request.children() != null || TaskRow.GROUP_TYPE.equals(request.type())) {
            throw new InvalidTask("", request.children() != null ? "children are only for type group"
                    : "type group needs children");
        }
        if (request.broadcast() != null) {
            throw new InvalidTask("broadcast", "is submitted on its own: one task per request");
        }
        return plain(request, owner, ownerName, request.targetWorkers() == null ? List.of()
                : request.targetWorkers().stream().distinct().toList());
    }

    /** A group: {@code type: group} with {@code children}. */
    Group toGroup(SubmitTaskRequest request, String owner, String ownerName) {
        if (!TaskRow.GROUP_TYPE.equals(request.type()) || request.children() == null) {
            throw new InvalidTask("", "children are only for type group, and type group needs children");
        }
        if (request.broadcast() != null || request.parentId() != null) {
            throw new InvalidTask(request.broadcast() != null ? "broadcast" : "parentId",
                    "cannot be combined with a group");
        }
        List<SubmitTaskRequest> specs = request.children();
        List<NewTask> children = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            SubmitTaskRequest spec = specs.get(i);
            try {
                if (spec.children() != null || spec.broadcast() != null
                        || TaskRow.GROUP_TYPE.equals(spec.type())) {
                    throw new InvalidTask("", "the children of a group cannot be groups or broadcasts");
                }
                if (spec.idempotencyKey() != null) {
                    throw new InvalidTask("idempotencyKey", "is taken by the group, not by its children");
                }
                children.add(toNewTask(spec, owner, ownerName));
            } catch (InvalidTask e) {
                throw e.at("children[" + i + "]");
            }
        }
        return new Group(groupParent(request, owner, ownerName, input(request)), children);
    }

    /**
     * A broadcast: the task once on each worker, as a group whose children each target one worker.
     *
     * @param workers the chosen workers, already resolved from a label
     */
    Group toBroadcast(SubmitTaskRequest request, String owner, String ownerName, List<String> workers) {
        if (request.targetWorkers() != null && !request.targetWorkers().isEmpty()) {
            throw new InvalidTask("targetWorkers", "cannot be combined with a broadcast, which chooses the workers");
        }
        NewTask template = plain(request, owner, ownerName, List.of());
        List<NewTask> children = workers.stream().distinct()
                .map(worker -> new NewTask(template.type(), owner, ownerName, template.input(),
                        template.requirements(), template.priority(), template.timeoutSeconds(),
                        template.maxAttempts(), null, List.of(worker), template.queueTimeoutSeconds(),
                        template.retryBackoffSeconds(), template.retryMaxBackoffSeconds()))
                .toList();
        ObjectNode parentInput = JsonNodeFactory.instance.objectNode();
        parentInput.set("broadcast", json.valueToTree(request.broadcast()));
        parentInput.put("type", request.type());
        return new Group(groupParent(request, owner, ownerName, parentInput), children);
    }

    /** Checks a broadcast's choice: the workers named or a label, exactly one. */
    static void checkBroadcast(SubmitTaskRequest.Broadcast broadcast) {
        if ((broadcast.workers() == null) == (broadcast.label() == null)) {
            throw new InvalidTask("broadcast", "needs either workers or label");
        }
    }

    private NewTask groupParent(SubmitTaskRequest request, String owner, String ownerName, JsonNode input) {
        return new NewTask(TaskRow.GROUP_TYPE, owner, ownerName, input, Requirements.NONE, orZero(request.priority()),
                null, 1, idempotencyKey(request), List.of());
    }

    private static @Nullable String idempotencyKey(SubmitTaskRequest request) {
        String key = blankToNull(request.idempotencyKey());
        if (key != null) {
            refuseNul("idempotencyKey", List.of(key));
        }
        return key;
    }

    private NewTask plain(SubmitTaskRequest request, String owner, String ownerName, List<String> targetWorkers) {
        if (TaskRow.GROUP_TYPE.equals(request.type())) {
            throw new InvalidTask("type", "group is reserved for groups");
        }
        JsonNode input = input(request);
        if (COMMAND.equals(request.type())) {
            checkCommandInput(input);
        }
        SubmitTaskRequest.Requirements r = request.requirements();
        refuseNul("targetWorkers", targetWorkers);
        refuseNul("requirements.labels", r == null || r.labels() == null ? List.of() : r.labels());
        Requirements requirements = r == null ? Requirements.NONE
                : new Requirements(orZero(r.cpus()), r.memoryMb() == null ? 0 : r.memoryMb(), orZero(r.gpus()),
                        r.gpuMemoryMb() == null ? 0 : r.gpuMemoryMb(), r.labels() == null ? List.of() : r.labels());
        Duration defaultQueueTimeout = lifecycle.defaultQueueTimeout();
        Integer queueTimeout = request.queueTimeoutSeconds() != null ? request.queueTimeoutSeconds()
                : defaultQueueTimeout == null ? null : (int) Math.max(1, defaultQueueTimeout.toSeconds());
        SubmitTaskRequest.Retry retry = request.retry();
        return new NewTask(request.type(), owner, ownerName, input, requirements,
                orZero(request.priority()), request.timeoutSeconds(),
                request.maxAttempts() == null ? properties.defaultMaxAttempts() : request.maxAttempts(),
                idempotencyKey(request), targetWorkers, queueTimeout,
                retry == null ? null : retry.backoffSeconds(), retry == null ? null : retry.maxBackoffSeconds());
    }

    private static JsonNode input(SubmitTaskRequest request) {
        JsonNode input = request.input() == null || request.input().isNull()
                ? JsonNodeFactory.instance.objectNode() : request.input();
        if (!input.isObject()) {
            throw new InvalidTask("input", "must be a JSON object");
        }
        if (holdsNul(input)) {
            // PostgreSQL's jsonb refuses it; said here, before anything is stored, instead of failing the insert
            throw new InvalidTask("input", "must not contain the character U+0000 (in a name or a string)");
        }
        return input;
    }

    /** PostgreSQL's text refuses U+0000 as its jsonb does. */
    private static void refuseNul(String field, List<String> values) {
        for (String value : values) {
            if (value.indexOf('\0') >= 0) {
                throw new InvalidTask(field, "must not contain the character U+0000");
            }
        }
    }

    private static boolean holdsNul(JsonNode node) {
        if (node.isString()) {
            return node.asString().indexOf('\0') >= 0;
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                if (property.getKey().indexOf('\0') >= 0 || holdsNul(property.getValue())) {
                    return true;
                }
            }
            return false;
        }
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (holdsNul(element)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A command runs {@code argv} directly (no shell) with {@code env} added to the agent's environment. */
    private static void checkCommandInput(JsonNode input) {
        JsonNode argv = input.get("argv");
        if (argv == null || !argv.isArray() || argv.isEmpty()) {
            throw new InvalidTask("input.argv", "must be a non-empty array of strings for type command");
        }
        for (JsonNode arg : argv) {
            if (!arg.isString()) {
                throw new InvalidTask("input.argv", "must contain only strings, found " + arg.getNodeType()
                        .name().toLowerCase(Locale.ROOT));
            }
        }
        JsonNode env = input.get("env");
        if (env != null && !env.isNull()) {
            if (!env.isObject()) {
                throw new InvalidTask("input.env", "must be an object of strings for type command");
            }
            for (Map.Entry<String, JsonNode> variable : env.properties()) {
                if (!variable.getValue().isString()) {
                    throw new InvalidTask("input.env." + variable.getKey(), "must be a string");
                }
            }
        }
    }

    private static int orZero(@Nullable Integer value) {
        return value == null ? 0 : value;
    }

    static @Nullable String blankToNull(@Nullable String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
