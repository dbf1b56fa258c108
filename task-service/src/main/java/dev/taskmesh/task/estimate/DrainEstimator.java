package dev.taskmesh.task.estimate;

import dev.taskmesh.task.lifecycle.Fleet;
import dev.taskmesh.task.lifecycle.FleetWorker;
import dev.taskmesh.task.lifecycle.RunTimeStats;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Estimates how long the online fleet needs to finish the queued and running tasks. Per type: its unfinished tasks
 * times its average run time, divided by the slots of the online workers (not drained) that offer the type. In all:
 * the longest of the types, or the whole work divided by all online slots when that is longer (types share slots).
 * It assumes running tasks just started and ignores requirements other than the type, retries and backoff: a
 * guide for people and autoscalers, not a promise.
 */
@Service
class DrainEstimator {

    private final JdbcTemplate jdbc;
    private final RunTimeStats runTimes;
    private final Fleet fleet;

    DrainEstimator(JdbcTemplate jdbc, RunTimeStats runTimes, Fleet fleet) {
        this.jdbc = jdbc;
        this.runTimes = runTimes;
        this.fleet = fleet;
    }

    private record Counts(long queued, long running) {
    }

    /** @param onlyType the one type to estimate, or null for every type with unfinished tasks */
    @Transactional(readOnly = true)
    DrainEstimate estimate(@Nullable String onlyType) {
        Map<String, Counts> counts = counts(onlyType);
        Map<String, RunTimeStats.TypeStats> stats = runTimes.all().stream()
                .collect(Collectors.toMap(RunTimeStats.TypeStats::type, Function.identity()));
        List<FleetWorker> open = fleet.online(Instant.now()).stream().filter(w -> !w.draining()).toList();
        TreeSet<String> types = new TreeSet<>(counts.keySet());
        if (onlyType != null) {
            types.add(onlyType);
        }
        long queued = 0;
        long running = 0;
        double work = 0;
        boolean unknown = false;
        double longest = 0;
        List<DrainEstimate.TypeEstimate> estimates = new ArrayList<>();
        for (String type : types) {
            Counts c = counts.getOrDefault(type, new Counts(0, 0));
            RunTimeStats.TypeStats s = stats.get(type);
            long slots = open.stream().filter(w -> w.taskTypes().contains(type)).mapToLong(FleetWorker::slots).sum();
            long tasks = c.queued() + c.running();
            Double estimate = tasks == 0 ? Double.valueOf(0)
                    : s == null || slots == 0 ? null : round(tasks * s.avgRunSeconds() / slots);
            estimates.add(new DrainEstimate.TypeEstimate(type, c.queued(), c.running(),
                    s == null ? null : round(s.avgRunSeconds()), s == null ? 0 : s.samples(), slots, estimate));
            queued += c.queued();
            running += c.running();
            if (estimate == null) {
                unknown = true;
            } else {
                longest = Math.max(longest, estimate);
                work += s == null ? 0 : tasks * s.avgRunSeconds();
            }
        }
        long onlineSlots = onlyType == null ? open.stream().mapToLong(FleetWorker::slots).sum()
                : open.stream().filter(w -> w.taskTypes().contains(onlyType)).mapToLong(FleetWorker::slots).sum();
        Double total = unknown ? null
                : work == 0 ? Double.valueOf(longest) : round(Math.max(longest, work / Math.max(onlineSlots, 1)));
        return new DrainEstimate(queued, running, onlineSlots, estimates, total);
    }

    private Map<String, Counts> counts(@Nullable String onlyType) {
        Map<String, long[]> byType = new HashMap<>();
        String sql = """
                SELECT type, status = 'QUEUED' AS queued, count(*) AS n FROM tasks
                WHERE status IN ('QUEUED', 'ASSIGNED', 'RUNNING') AND type <> 'group'""" + (onlyType == null ? "" : " AND type = ?") + """

                GROUP BY type, status = 'QUEUED'""";
        Object[] args = onlyType == null ? new Object[0] : new Object[] {onlyType};
        jdbc.query(sql, rs -> {
            long[] c = byType.computeIfAbsent(rs.getString("type"), t -> new long[2]);
            c[rs.getBoolean("queued") ? 0 : 1] += rs.getLong("n");
        }, args);
        Map<String, Counts> counts = new HashMap<>();
        byType.forEach((type, c) -> counts.put(type, new Counts(c[0], c[1])));
        return counts;
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
