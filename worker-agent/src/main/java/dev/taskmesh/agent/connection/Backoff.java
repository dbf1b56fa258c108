package dev.taskmesh.agent.connection;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter: the initial delay doubling up to a maximum, each delay shortened by a random 0 to
 * 20% so that a fleet of agents cut off at the same moment does not come back at the same moment. Not thread-safe.
 */
public final class Backoff {

    private static final double JITTER = 0.2;

    private final Duration initial;
    private final Duration max;
    private final RandomGenerator random;
    private int failures;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + " and " + max);
        }
        this.initial = initial;
        this.max = max;
        this.random = random;
    }

    /** 1 s doubling to 30 s: the agent's reconnect schedule. */
    public static Backoff reconnects() {
        return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), RandomGenerator.getDefault());
    }

    /** The delay before the next try; each call counts one more failure. */
    public Duration next() {
        long base = initial.toMillis() << Math.min(failures, 20);
        failures++;
        long capped = Math.min(base, max.toMillis());
        return Duration.ofMillis(Math.round(capped * (1 - JITTER * random.nextDouble())));
    }

    /** Starts again from the initial delay, after a success. */
    public void reset() {
        failures = 0;
    }
}
