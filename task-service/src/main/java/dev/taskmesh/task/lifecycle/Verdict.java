package dev.taskmesh.task.lifecycle;

import org.jspecify.annotations.Nullable;

/**
 * The answer to an agent's message about an attempt.
 *
 * @param accepted false when the attempt is not the task's current one, is not the sender's, or its state does
 *                 not allow the change
 * @param reason   why it was refused, or a note on a repeated message
 */
public record Verdict(boolean accepted, @Nullable String reason) {

    static Verdict accept() {
        return new Verdict(true, null);
    }

    static Verdict acceptRepeated(String note) {
        return new Verdict(true, note);
    }

    static Verdict refuse(String reason) {
        return new Verdict(false, reason);
    }
}
