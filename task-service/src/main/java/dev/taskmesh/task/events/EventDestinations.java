package dev.taskmesh.task.events;

/** The endpoint and destinations of people's STOMP sessions; public API, documented in {@code docs/events.md}. */
public final class EventDestinations {

    /** WebSocket endpoint for people, proxied by the gateway like every {@code /ws/**} path. */
    static final String ENDPOINT = "/ws/events";
    /** Status changes of the caller's own tasks ({@code TaskStatusEvent}). */
    static final String MY_TASKS = "/user/queue/tasks";
    /** SEND a task to submit (the body of {@code POST /api/v1/tasks}); answered on {@link #SUBMISSIONS}. */
    public static final String SUBMIT = "/app/tasks/submit";
    /** Answers to the caller's submissions on this session ({@code SubmissionReply}). */
    public static final String SUBMISSIONS = "/user/queue/submissions";
    /** The same as {@link #SUBMISSIONS} seen from the server, which sends to a user's destination. */
    public static final String SUBMISSIONS_QUEUE = "/queue/submissions";
    /** Refused subscriptions and failed snapshots ({@link EventError}). */
    static final String ERRORS = "/user/queue/errors";
    /** The same as {@code /queue/errors} seen from the server, which sends to a user's destination. */
    static final String ERRORS_QUEUE = "/queue/errors";
    /** Status changes of every task ({@code TaskStatusEvent}); admins only. */
    static final String ALL_TASKS = "/topic/tasks";
    /** Prefix of one task's topics: {@code /topic/tasks/{id}} (status and progress) and {@code .../log}. */
    static final String TASK_TOPIC_PREFIX = "/topic/tasks/";
    /** Worker changes ({@code WorkerSummary}). */
    static final String WORKERS = "/topic/workers";
    /** Subscribe for one snapshot of a task (the task JSON). */
    static final String TASK_SNAPSHOT_PREFIX = "/app/tasks/";
    /** Subscribe for one snapshot of the connected workers (a list of {@code WorkerSummary}). */
    static final String WORKERS_SNAPSHOT = "/app/workers";

    private EventDestinations() {
    }
}
