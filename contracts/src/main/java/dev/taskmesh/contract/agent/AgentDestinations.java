package dev.taskmesh.contract.agent;

/**
 * STOMP endpoint, headers and destinations between a worker agent and the task-service.
 * See {@code docs/agent-protocol.md} for the meaning and ordering of each message.
 */
public final class AgentDestinations {

    /** WebSocket endpoint of agents, on the gateway (proxied) and on the task-service. */
    public static final String ENDPOINT = "/ws/agent";
    /** CONNECT header: the worker id the bearer token was issued to. */
    public static final String WORKER_ID_HEADER = "worker-id";
    /** CONNECT header: {@code Bearer <access token of the worker>}. */
    public static final String AUTHORIZATION_HEADER = "Authorization";
    /**
     * CONNECT header: the optional protocol features the agent speaks, comma-separated. A server ignores the ones it
     * does not know, so an agent may announce features its server lacks.
     */
    public static final String FEATURES_HEADER = "taskmesh-features";
    /**
     * Feature: several assignments, completions and receipts per frame ({@link TaskAssignments},
     * {@link TaskCompletions}, {@link CompletionReceipts}).
     */
    public static final String FEATURE_BATCHES = "batches";

    /** Agent to server: {@link Heartbeat}; the first one after CONNECT registers the agent's slots. */
    public static final String HEARTBEAT = "/app/agent/heartbeat";
    /** Agent to server: {@link TaskStarted}. */
    public static final String STARTED = "/app/agent/started";
    /** Agent to server: {@link TaskProgress}. */
    public static final String PROGRESS = "/app/agent/progress";
    /** Agent to server: {@link TaskLog}. */
    public static final String LOG = "/app/agent/log";
    /** Agent to server: {@link TaskCompletion}. */
    public static final String COMPLETE = "/app/agent/complete";
    /**
     * Agent to server: {@link TaskCompletions}; only once the server has sent a batch in this session (an older server
     * has no such destination).
     */
    public static final String COMPLETE_BATCH = "/app/agent/complete-batch";
    /** Agent to server: {@link ChildSubmission}, answered with {@link ChildSubmitted} on {@link #SUBMISSIONS}. */
    public static final String SUBMIT = "/app/agent/submit";

    /** Server to agent (subscribe as {@code /user/queue/assignments}): {@link TaskAssignment}. */
    public static final String ASSIGNMENTS = "/queue/assignments";
    /** Server to an agent that announced {@link #FEATURE_BATCHES}: {@link TaskAssignments}. */
    public static final String ASSIGNMENT_BATCHES = "/queue/assignment-batches";
    /** Server to agent: {@link TaskCancellation}. */
    public static final String CANCELLATIONS = "/queue/cancellations";
    /** Server to agent: {@link CompletionReceipt}, the answer to every {@link TaskCompletion}. */
    public static final String RECEIPTS = "/queue/receipts";
    /** Server to an agent that announced {@link #FEATURE_BATCHES}: {@link CompletionReceipts}. */
    public static final String RECEIPT_BATCHES = "/queue/receipt-batches";
    /** Server to agent: {@link ProtocolError}. */
    public static final String ERRORS = "/queue/errors";
    /** Server to agent: {@link ChildSubmitted}, the answer to every {@link ChildSubmission}. */
    public static final String SUBMISSIONS = "/queue/submissions";
    /** Server to agent: {@link ChildFinished}, when a child of a task the agent runs reaches its outcome. */
    public static final String CHILDREN = "/queue/children";
    /** Prefix an agent subscribes with to reach its own queues. */
    public static final String USER_PREFIX = "/user";

    private AgentDestinations() {
    }
}
