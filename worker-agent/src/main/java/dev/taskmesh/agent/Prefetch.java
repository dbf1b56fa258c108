package dev.taskmesh.agent;

import java.time.Duration;

/**
 * How many assigned tasks the agent keeps ready beyond its slots, so that short tasks run back to back instead of each
 * waiting for the server's next assignment.
 *
 * <p>Fixed ({@code --prefetch N}), or adaptive ({@code --prefetch auto}, the default): as many tasks as its slots run
 * in {@link #ADAPTIVE_WINDOW} at the pace its recent attempts held a slot, at most {@link #ADAPTIVE_MAX}. A fixed
 * prefetch is a bet on the tasks' length: deep enough for tasks of a millisecond, it makes a task wait behind long ones
 * while other agents are idle. The adaptive one keeps dozens ready while tasks take a millisecond and none once they
 * hold a slot longer than the window, so that a prefetched task waits about the window at most. Before any attempt it
 * is 0: nothing is known of the tasks yet.
 */
final class Prefetch {

    /** How long the prefetched tasks keep the slots busy at the recent pace: about the longest one of them waits. */
    static final Duration ADAPTIVE_WINDOW = Duration.ofMillis(20);
    /** The adaptive prefetch's ceiling: what an agent holds, and what waits for a requeue if it dies, stays bounded. */
    static final int ADAPTIVE_MAX = 128;
    /** Weight of the newest attempt in the moving average of slot times: a change of pace shows within a few tasks. */
    private static final double NEWEST_WEIGHT = 0.2;

    private final boolean adaptive;
    private final int slots;
    private final long windowNanos;
    private final int max;
    /** Moving average of how long an attempt held its slot; negative before the first. */
    private double averageNanos = -1;
    private int current;
    private int announced;

    private Prefetch(boolean adaptive, int slots, Duration window, int max, int initial) {
        this.adaptive = adaptive;
        this.slots = slots;
        this.windowNanos = window.toNanos();
        this.max = max;
        this.current = initial;
        this.announced = initial;
    }

    static Prefetch fixed(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("a prefetch is 0 or more, got " + count);
        }
        return new Prefetch(false, 0, Duration.ZERO, count, count);
    }

    static Prefetch adaptive(int slots) {
        return adaptive(slots, ADAPTIVE_WINDOW, ADAPTIVE_MAX);
    }

    static Prefetch adaptive(int slots, Duration window, int max) {
        return new Prefetch(true, slots, window, max, 0);
    }

    /** {@code auto} or a count, as {@code --prefetch} and {@code TASKMESH_PREFETCH} take it. */
    static Prefetch parse(String value, int slots) {
        String trimmed = value.strip();
        if (trimmed.equalsIgnoreCase("auto")) {
            return adaptive(slots);
        }
        try {
            return fixed(Integer.parseInt(trimmed));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a prefetch is auto or a count of 0 or more, got '" + value + "'");
        }
    }

    /** Tasks to keep ready now. */
    synchronized int current() {
        return current;
    }

    /**
     * An attempt held a slot for {@code nanos}: from taking the slot to sending its completion.
     *
     * @return whether the server should now hear of the new value ({@link #worthAnnouncing()}), in the same lock
     */
    synchronized boolean slotHeld(long nanos) {
        if (!adaptive) {
            return false;
        }
        averageNanos = averageNanos < 0 ? nanos : averageNanos + NEWEST_WEIGHT * (nanos - averageNanos);
        current = (int) Math.min(max, slots * (double) windowNanos / Math.max(1, averageNanos));
        return worthAnnouncing();
    }

    /** The value to report in a heartbeat, remembered as what the server knows. */
    synchronized int announce() {
        announced = current;
        return current;
    }

    /**
     * Whether the server should hear of the current value before the next heartbeat is due: it went to or from 0, or
     * moved by a quarter or more since the last heartbeat (smaller moves wait, so that a pace that wobbles costs no
     * messages).
     */
    synchronized boolean worthAnnouncing() {
        if (current == announced) {
            return false;
        }
        return current == 0 || announced == 0 || Math.abs(current - announced) * 4 >= announced;
    }

    @Override
    public String toString() {
        return adaptive ? "auto (up to " + max + ", " + windowNanos / 1_000_000 + " ms of work at the recent pace)"
                : String.valueOf(max);
    }
}
