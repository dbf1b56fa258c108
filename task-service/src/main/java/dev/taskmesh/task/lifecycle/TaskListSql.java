package dev.taskmesh.task.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of a task listing, newest first in {@code (created_at DESC, id DESC)} order, which every list index of
 * migration V4 ends with: a filtered page is an index range read in order that stops after one page.
 *
 * @param sql  the statement, with {@code ?} placeholders
 * @param args its arguments, in order
 */
record TaskListSql(String sql, List<Object> args) {

    private static final String ORDER = " ORDER BY created_at DESC, id DESC";
    /** Canonical UUID form; a search prefix must follow it, dashes included. */
    private static final String UUID_TEMPLATE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    TaskListSql {
        args = List.copyOf(args);
    }

    Object[] argArray() {
        return args.toArray();
    }

    /** One page of at most {@code limit} rows: after the filter's cursor, else at offset {@code page * size}. */
    static TaskListSql page(TaskFilter filter, int limit) {
        List<Object> args = new ArrayList<>();
        List<String> conditions = conditions(filter, args);
        TaskCursor after = filter.after();
        if (after != null) {
            // a row comparison: one index range condition on (created_at, id), strictly after the cursor
            conditions.add("(created_at, id) < (?, ?)");
            args.add(TaskStore.ts(after.createdAt()));
            args.add(after.id());
        }
        StringBuilder sql = new StringBuilder("SELECT * FROM tasks").append(where(conditions)).append(ORDER)
                .append(" LIMIT ?");
        args.add(limit);
        if (after == null && filter.page() > 0) {
            sql.append(" OFFSET ?");
            args.add((long) filter.page() * filter.size());
        }
        return new TaskListSql(sql.toString(), args);
    }

    /** Counts the matching tasks (the cursor and page aside), but stops counting at {@code cap}. */
    static TaskListSql cappedCount(TaskFilter filter, int cap) {
        List<Object> args = new ArrayList<>();
        String where = where(conditions(filter, args));
        args.add(cap);
        return new TaskListSql("SELECT count(*) FROM (SELECT 1 FROM tasks" + where + " LIMIT ?) AS capped", args);
    }

    /** The planner's estimate of how many tasks match, as a one-row JSON plan. */
    static TaskListSql estimate(TaskFilter filter) {
        List<Object> args = new ArrayList<>();
        String where = where(conditions(filter, args));
        return new TaskListSql("EXPLAIN (FORMAT JSON) SELECT 1 FROM tasks" + where, args);
    }

    private static List<String> conditions(TaskFilter filter, List<Object> args) {
        List<String> conditions = new ArrayList<>();
        if (filter.status() != null) {
            conditions.add("status = ?");
            args.add(filter.status().name());
        }
        if (filter.type() != null) {
            conditions.add("type = ?");
            args.add(filter.type());
        }
        if (filter.owner() != null) {
            conditions.add("owner = ?");
            args.add(filter.owner());
        }
        if (filter.createdAfter() != null) {
            conditions.add("created_at >= ?");
            args.add(TaskStore.ts(filter.createdAfter()));
        }
        if (filter.createdBefore() != null) {
            conditions.add("created_at < ?");
            args.add(TaskStore.ts(filter.createdBefore()));
        }
        String q = filter.q() == null ? null : filter.q().trim();
        if (q != null && !q.isEmpty()) {
            conditions.add(search(q, args));
        }
        return conditions;
    }

    /**
     * An exact id; else an id prefix (a range of the primary key: uuids compare byte by byte, like their hex form)
     * or a type prefix (the pattern-ops index of {@code type}).
     */
    private static String search(String q, List<Object> args) {
        Optional<UUID> exact = exactUuid(q);
        if (exact.isPresent()) {
            args.add(exact.get());
            return "id = ?";
        }
        List<String> alternatives = new ArrayList<>();
        String lower = q.toLowerCase(Locale.ROOT);
        if (isUuidPrefix(lower)) {
            alternatives.add("id BETWEEN ? AND ?");
            args.add(UUID.fromString(lower + fill(lower.length(), '0')));
            args.add(UUID.fromString(lower + fill(lower.length(), 'f')));
        }
        alternatives.add("type LIKE ? ESCAPE '\\'");
        args.add(escapeLike(q) + "%");
        return alternatives.size() == 1 ? alternatives.getFirst() : "(" + String.join(" OR ", alternatives) + ")";
    }

    private static Optional<UUID> exactUuid(String q) {
        if (q.length() != UUID_TEMPLATE.length() || !isUuidPrefix(q.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        return Optional.of(UUID.fromString(q));
    }

    static boolean isUuidPrefix(String value) {
        if (value.isEmpty() || value.length() > UUID_TEMPLATE.length()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = UUID_TEMPLATE.charAt(i) == '-' ? c == '-' : c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The rest of the canonical form after {@code from} characters, hex digits set to {@code digit}. */
    private static String fill(int from, char digit) {
        return UUID_TEMPLATE.substring(from).replace('x', digit);
    }

    private static String escapeLike(String value) {
        return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    private static String where(List<String> conditions) {
        return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
    }
}
