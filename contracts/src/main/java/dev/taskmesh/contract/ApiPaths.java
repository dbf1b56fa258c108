package dev.taskmesh.contract;

/** HTTP paths of the public API, versioned from day one. Everything under {@code /internal} is never routed by the gateway. */
public final class ApiPaths {

    public static final String API = "/api/v1";
    public static final String AUTH_TOKEN = API + "/auth/token";
    public static final String AUTH_REFRESH = API + "/auth/refresh";
    /** Ends a session: the refresh token given can no longer be used (RFC 7009: 204 whether or not it existed). */
    public static final String AUTH_REVOKE = API + "/auth/revoke";
    /** Public JSON Web Key Set: every service verifies tokens with it. */
    public static final String AUTH_JWKS = API + "/auth/jwks";
    public static final String USERS = API + "/users";
    public static final String WORKERS = API + "/workers";
    public static final String TASKS = API + "/tasks";
    /** {@code POST} up to 1,000 tasks in one request, stored all or nothing. */
    public static final String TASKS_BATCH = TASKS + ":batch";
    /** {@code GET} output JSON, file list and log of the recorded attempt. */
    public static final String TASK_RESULT = TASKS + "/{taskId}/result";
    public static final String TASK_RESULT_FILE = TASK_RESULT + "/files/{name}";
    public static final String TASK_RESULT_ARCHIVE = TASK_RESULT + "/archive";
    /** {@code PUT} by the agent that runs the attempt: one output file, streamed. */
    public static final String ATTEMPT_OUTPUT_FILE = TASKS + "/{taskId}/attempts/{attempt}/files/{name}";
    /** {@code PUT} by the agent that runs the attempt: the whole log as UTF-8 text. */
    public static final String ATTEMPT_LOG = TASKS + "/{taskId}/attempts/{attempt}/log";

    public static final String INTERNAL = "/internal/v1";
    /** {@code POST} by the task-service: the heartbeats it received in the last interval, as one batch. */
    public static final String INTERNAL_HEARTBEATS = INTERNAL + "/heartbeats";
    /** Header that carries the shared secret of internal calls. */
    public static final String INTERNAL_SECRET_HEADER = "X-Taskmesh-Internal-Secret";

    /** Name of the file in an output folder whose content is the task's output JSON. */
    public static final String RESULT_JSON = "result.json";

    private ApiPaths() {
    }
}
