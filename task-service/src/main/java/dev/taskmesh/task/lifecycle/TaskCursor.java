package dev.taskmesh.task.lifecycle;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * Where a page of the newest-first task list ended: the creation time and id of its last task. Clients get it as
 * the opaque {@code nextCursor} and send it back as {@code after}; the next page holds the tasks that sort after
 * it in {@code (createdAt DESC, id DESC)} order.
 */
public record TaskCursor(Instant createdAt, UUID id) {

    private static final String VERSION = "1";

    static TaskCursor of(TaskRow row) {
        return new TaskCursor(row.createdAt(), row.id());
    }

    /** URL-safe Base64 of {@code 1:<epoch microseconds>:<id>}; the database keeps microseconds. */
    public String encode() {
        long micros = Math.addExact(Math.multiplyExact(createdAt.getEpochSecond(), 1_000_000L),
                createdAt.getNano() / 1_000L);
        String plain = VERSION + ":" + micros + ":" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a cursor made by {@link #encode()}.
     *
     * @throws IllegalArgumentException if it is not one
     */
    public static TaskCursor decode(String cursor) {
        String plain;
        try {
            plain = new String(Base64.getUrlDecoder().decode(cursor.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a cursor of this API", e);
        }
        String[] parts = plain.split(":", 3);
        if (parts.length != 3 || !VERSION.equals(parts[0])) {
            throw new IllegalArgumentException("not a cursor of this API");
        }
        try {
            long micros = Long.parseLong(parts[1]);
            Instant at = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                    Math.floorMod(micros, 1_000_000L) * 1_000L);
            return new TaskCursor(at, UUID.fromString(parts[2]));
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            throw new IllegalArgumentException("not a cursor of this API", e);
        }
    }
}
