package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryBackoffTests {

    private static final Duration INITIAL = Duration.ofSeconds(2);
    private static final Duration MAX = Duration.ofMinutes(5);

    @Test
    void capDoublesPerFailedAttemptUpToTheMaximum() {
        RetryBackoff backoff = new RetryBackoff(INITIAL, MAX, bound -> bound);

        assertThat(backoff.cap(1, null, null)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.cap(2, null, null)).isEqualTo(Duration.ofSeconds(4));
        assertThat(backoff.cap(5, null, null)).isEqualTo(Duration.ofSeconds(32));
        assertThat(backoff.cap(9, null, null)).isEqualTo(MAX);
        assertThat(backoff.cap(1_000, null, null)).isEqualTo(MAX);
    }

    @Test
    void taskOverridesReplaceTheConfiguredValues() {
        RetryBackoff backoff = new RetryBackoff(INITIAL, MAX, bound -> bound);

        assertThat(backoff.cap(3, 10, 30)).isEqualTo(Duration.ofSeconds(30));
        assertThat(backoff.cap(2, 10, 30)).isEqualTo(Duration.ofSeconds(20));
        assertThat(backoff.cap(1, 0, null)).isEqualTo(Duration.ZERO);
        // an initial backoff above the configured maximum is honoured when the task names no maximum
        assertThat(backoff.cap(1, 600, null)).isEqualTo(Duration.ofSeconds(600));
        assertThat(backoff.cap(2, 600, null)).isEqualTo(Duration.ofSeconds(600));
    }

    @Test
    void fullJitterDrawsBetweenZeroAndTheCap() {
        assertThat(new RetryBackoff(INITIAL, MAX, bound -> 0).delay(4, null, null)).isZero();
        assertThat(new RetryBackoff(INITIAL, MAX, bound -> bound / 2).delay(4, null, null))
                .isEqualTo(Duration.ofSeconds(8));
        RetryBackoff random = RetryBackoff.of(new LifecycleProperties(INITIAL, MAX, null, Duration.ofSeconds(60), 0,
                Duration.ofSeconds(5), 100));
        for (int i = 0; i < 1_000; i++) {
            assertThat(random.delay(3, null, null)).isBetween(Duration.ZERO, Duration.ofSeconds(8));
        }
    }

    @Test
    void agingKeyOrdersByPriorityThenArrivalAndLetsWaitingOutweighPriority() {
        Duration aging = Duration.ofSeconds(60);
        Instant now = Instant.parse("2026-01-01T12:00:00Z");

        Instant urgentNow = DispatchOrder.key(now, 5, aging);
        Instant plainWaitedSixMinutes = DispatchOrder.key(now.minusSeconds(360), 0, aging);
        Instant plainWaitedFourMinutes = DispatchOrder.key(now.minusSeconds(240), 0, aging);
        Instant plainNow = DispatchOrder.key(now, 0, aging);

        assertThat(urgentNow).isBefore(plainNow);
        assertThat(plainWaitedSixMinutes).isBefore(urgentNow);
        assertThat(urgentNow).isBefore(plainWaitedFourMinutes);
        assertThat(plainWaitedFourMinutes).isBefore(plainNow);
    }
}
