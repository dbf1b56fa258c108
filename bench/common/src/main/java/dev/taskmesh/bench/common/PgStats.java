package dev.taskmesh.bench.common;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What PostgreSQL itself counts for one database, read through a connection to the {@code postgres} database so
 * that reading adds nothing to the measured one:
 * <ul>
 *   <li>write transactions: transaction ids assigned ({@code pg_current_snapshot()}'s xmax), cluster-wide;</li>
 *   <li>WAL bytes ({@code pg_current_wal_lsn()}), cluster-wide;</li>
 *   <li>with {@code pg_stat_statements}: calls and rows per normalized statement of the database.</li>
 * </ul>
 * {@code pg_stat_database.xact_commit} is not used: in PostgreSQL 14 an idle pooled connection keeps its counts
 * until it is used again, so a delta misses most of a short run. The harnesses' own queries on a measured database
 * carry {@value #HARNESS_MARK} and are left out of the statement counts (they are reads: no xid, no WAL).
 */
public final class PgStats {

    /** Put in every query a harness runs against a measured database. */
    public static final String HARNESS_MARK = "/* bench-harness */";
    /** A data-modifying part of a WITH statement. */
    private static final Pattern WRITES = Pattern.compile("\\b(insert into|update \\w|delete from)");
    private static final List<String> TRANSACTION_CONTROL = List.of("begin", "commit", "rollback", "savepoint",
            "release", "set ", "show ", "discard", "select $1", "start transaction");

    private final String adminJdbcUrl;
    private final String user;
    private final String password;
    private final String database;
    private final boolean statements;

    /**
     * @param adminJdbcUrl JDBC URL of the {@code postgres} database of the same server
     * @param database     the measured database
     */
    public PgStats(String adminJdbcUrl, String user, String password, String database) {
        this.adminJdbcUrl = adminJdbcUrl;
        this.user = user;
        this.password = password;
        this.database = database;
        this.statements = enableStatements();
    }

    public boolean hasStatements() {
        return statements;
    }

    /** Counters and statement calls now. */
    public Snapshot take() {
        try (Connection c = connect()) {
            long xid;
            long wal;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
                            + "(pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")) {
                rs.next();
                xid = rs.getLong(1);
                wal = rs.getLong(2);
            }
            Map<String, long[]> calls = new HashMap<>();
            if (statements) {
                try (PreparedStatement s = c.prepareStatement("""
                        SELECT s.query, sum(s.calls), sum(s.rows) FROM pg_stat_statements s
                        JOIN pg_database d ON d.oid = s.dbid
                        WHERE d.datname = ? AND s.query NOT LIKE '%bench-harness%'
                        GROUP BY s.query""")) {
                    s.setString(1, database);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            calls.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
                        }
                    }
                }
            }
            return new Snapshot(System.nanoTime(), xid, wal, calls);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read PostgreSQL statistics: " + e.getMessage(), e);
        }
    }

    /** Facts for results.json: version and the settings that change write cost. */
    public Map<String, String> facts() {
        Map<String, String> facts = new LinkedHashMap<>();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String setting : List.of("server_version", "synchronous_commit", "fsync", "shared_buffers",
                    "max_connections", "shared_preload_libraries")) {
                try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
                    rs.next();
                    facts.put(setting, rs.getString(1));
                }
            }
        } catch (SQLException e) {
            facts.put("error", e.getMessage());
        }
        facts.put("pg_stat_statements", String.valueOf(statements));
        return facts;
    }

    private boolean enableStatements() {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_statements")) {
                return rs.next();
            }
        } catch (SQLException e) {
            // not in shared_preload_libraries: transactions and WAL only
            return false;
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(adminJdbcUrl, user, password);
    }

    /** Counters at one moment; {@code calls} maps a statement to its calls and rows. */
    public record Snapshot(long nanos, long xid, long walBytes, Map<String, long[]> calls) {
    }

    /**
     * The cost of {@code tasks} tasks between {@code before} and {@code after}, and the same minus the background
     * rate seen between {@code idleFrom} and {@code idleTo} (heartbeats, sweeps, pollers) over the same duration.
     */
    public static Map<String, Object> cost(int tasks, Snapshot idleFrom, Snapshot idleTo, Snapshot before,
                                           Snapshot after) {
        double idleSeconds = (idleTo.nanos() - idleFrom.nanos()) / 1e9;
        double seconds = (after.nanos() - before.nanos()) / 1e9;
        Map<String, Double> measured = figures(before, after);
        Map<String, Double> idle = figures(idleFrom, idleTo);
        Map<String, Object> perTask = new LinkedHashMap<>();
        Map<String, Object> perTaskRaw = new LinkedHashMap<>();
        Map<String, Object> idlePerSecond = new LinkedHashMap<>();
        for (var figure : measured.entrySet()) {
            double idleRate = idle.get(figure.getKey()) / idleSeconds;
            idlePerSecond.put(figure.getKey(), round(idleRate));
            perTaskRaw.put(figure.getKey(), round(figure.getValue() / tasks));
            perTask.put(figure.getKey(), round(Math.max(0, figure.getValue() - idleRate * seconds) / tasks));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tasks", tasks);
        out.put("measured_s", round(seconds));
        out.put("idle_window_s", round(idleSeconds));
        out.put("per_task", perTask);
        out.put("per_task_raw", perTaskRaw);
        out.put("idle_per_second", idlePerSecond);
        List<Map<String, Object>> top = new ArrayList<>();
        after.calls().entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue()[0] - before.calls().getOrDefault(e.getKey(), new long[2])[0]))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(15)
                .forEach(e -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("calls_per_task", round((double) e.getValue() / tasks));
                    row.put("query", abbreviate(e.getKey()));
                    top.add(row);
                });
        out.put("top_statements", top);
        return out;
    }

    /** Totals between two snapshots: write transactions, WAL and, with pg_stat_statements, statements and rows. */
    private static Map<String, Double> figures(Snapshot from, Snapshot to) {
        Map<String, Double> f = new LinkedHashMap<>();
        f.put("write_transactions", (double) (to.xid() - from.xid()));
        f.put("wal_bytes", (double) (to.walBytes() - from.walBytes()));
        if (to.calls().isEmpty()) {
            return f;
        }
        double statements = 0;
        double dataStatements = 0;
        double inserted = 0;
        double updated = 0;
        double deleted = 0;
        double withRows = 0;
        for (var entry : to.calls().entrySet()) {
            long[] earlier = from.calls().getOrDefault(entry.getKey(), new long[2]);
            long calls = entry.getValue()[0] - earlier[0];
            long rows = entry.getValue()[1] - earlier[1];
            String q = entry.getKey().trim().toLowerCase(Locale.ROOT);
            statements += calls;
            if (TRANSACTION_CONTROL.stream().noneMatch(q::startsWith)) {
                dataStatements += calls;
            }
            if (q.startsWith("insert")) {
                inserted += rows;
            } else if (q.startsWith("update")) {
                updated += rows;
            } else if (q.startsWith("delete")) {
                deleted += rows;
            } else if (q.startsWith("with") && WRITES.matcher(q).find()) {
                // a WITH statement that writes reports the rows of its final SELECT, not what each part changed
                withRows += rows;
            }
        }
        f.put("statements", statements);
        f.put("statements_excl_tx_control", dataStatements);
        f.put("rows_inserted", inserted);
        f.put("rows_updated", updated);
        f.put("rows_deleted", deleted);
        f.put("rows_returned_by_writing_with", withRows);
        return f;
    }

    private static String abbreviate(String query) {
        String flat = query.replaceAll("\\s+", " ").trim();
        return flat.length() <= 160 ? flat : flat.substring(0, 157) + "...";
    }

    private static double round(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }
}
