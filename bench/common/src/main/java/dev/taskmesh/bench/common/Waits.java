package dev.taskmesh.bench.common;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waits: every wait of the harnesses has a deadline and fails loudly when it passes. */
public final class Waits {

    /** Polls {@code condition} every {@code interval} until it holds; throws after {@code timeout}. */
    public static void until(String what, Duration timeout, Duration interval, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": not within " + timeout.toSeconds() + " s");
            }
            pause(interval);
        }
    }

    public static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private Waits() {
    }
}
