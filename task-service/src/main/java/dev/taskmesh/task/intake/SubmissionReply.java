package dev.taskmesh.task.intake;

import dev.taskmesh.task.lifecycle.TaskView;
import org.jspecify.annotations.Nullable;

/**
 * The answer to a submission over STOMP, on {@code /user/queue/submissions} of the session that sent it: the status
 * and body {@code POST /api/v1/tasks} would have answered.
 *
 * @param requestId the SEND frame's {@code request-id} header, to match answers to submissions; null without one
 * @param status    201 stored, 200 an earlier task of the same idempotency key, else the 4xx (or 500) of the problem
 * @param task      the task JSON (after the wait, when the SEND asked for one); null when refused
 * @param problem   why it was refused (RFC 9457 fields); null when stored
 */
record SubmissionReply(@Nullable String requestId, int status, @Nullable TaskView task, @Nullable Problem problem) {

    /** The fields of an RFC 9457 problem detail. */
    record Problem(String type, String title, int status, String detail) {
    }

    static SubmissionReply of(@Nullable String requestId, TaskSubmissions.Submitted submitted, TaskView task) {
        return new SubmissionReply(requestId, submitted.created() ? 201 : 200, task, null);
    }

    static SubmissionReply refused(@Nullable String requestId, int status, String title, String detail) {
        return new SubmissionReply(requestId, status, null, new Problem("about:blank", title, status, detail));
    }
}
