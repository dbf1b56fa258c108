package dev.taskmesh.task.lifecycle;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Exponential backoff with full jitter: after attempt {@code n} failed, the retry waits a delay drawn uniformly from
 * {@code [0, min(max, initial × 2^(n-1))]}. Full jitter spreads the retries of tasks that failed together (a worker
 * lost with 50 tasks) over the whole window instead of sending them back in one wave.
 */
public final class RetryBackoff {

    private final Duration initial;
    private final Duration max;
    private final LongUnaryOperator uniformUpTo;

    /** @param uniformUpTo given a bound {@code b >= 0}, answers a number in {@code [0, b]} */
    RetryBackoff(Duration initial, Duration max, LongUnaryOperator uniformUpTo) {
        this.initial = initial;
        this.max = max;
        this.uniformUpTo = uniformUpTo;
    }

    static RetryBackoff of(LifecycleProperties properties) {
        return new RetryBackoff(properties.retryBackoff(), properties.retryBackoffMax(),
                bound -> ThreadLocalRandom.current().nextLong(bound + 1));
    }

    /**
     * The delay before retrying after {@code failedAttempt} failed.
     *
     * @param backoffSeconds    the task's own initial backoff, or null for the configured one
     * @param maxBackoffSeconds the task's own maximum, or null for the configured one
     */
    public Duration delay(int failedAttempt, @Nullable Integer backoffSeconds, @Nullable Integer maxBackoffSeconds) {
        return Duration.ofMillis(uniformUpTo.applyAsLong(cap(failedAttempt, backoffSeconds, maxBackoffSeconds)
                .toMillis()));
    }

    /** The upper bound of the jittered delay, in milliseconds precision. */
    Duration cap(int failedAttempt, @Nullable Integer backoffSeconds, @Nullable Integer maxBackoffSeconds) {
        long first = backoffSeconds == null ? initial.toMillis() : backoffSeconds * 1000L;
        long most = maxBackoffSeconds == null ? max.toMillis() : maxBackoffSeconds * 1000L;
        if (maxBackoffSeconds == null) {
            most = Math.max(most, first); // a task's own initial backoff is honoured even above the default maximum
        }
        most = Math.max(most, 0);
        long cap = Math.max(first, 0);
        for (int i = 1; i < failedAttempt && cap < most; i++) {
            cap = cap > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : cap * 2;
        }
        return Duration.ofMillis(Math.min(cap, most));
    }
}
