package dev.taskmesh.task.intake;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import dev.taskmesh.task.lifecycle.TaskStatistics;
import dev.taskmesh.task.lifecycle.TaskStats;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/tasks/stats?window=1h}: tasks per minute over the window and the queue now. A user gets their
 * own tasks; an admin gets everyone's, or one owner's with {@code owner=}.
 */
@RestController
@RequestMapping(ApiPaths.TASKS)
class TaskStatsController {

    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d{1,5})([smhd])");

    private final TaskStatistics statistics;

    TaskStatsController(TaskStatistics statistics) {
        this.statistics = statistics;
    }

    @GetMapping("/stats")
    TaskStats stats(@RequestParam(defaultValue = "1h") String window,
                    @RequestParam(required = false) @Nullable String owner, Caller caller) {
        TaskController.requirePerson(caller);
        String ownerFilter = owner == null || owner.isBlank() ? null : owner;
        if (!caller.isAdmin()) {
            if (ownerFilter != null && !ownerFilter.equals(caller.id())) {
                throw ApiException.forbidden("Only admins may see the statistics of other users");
            }
            ownerFilter = caller.id();
        }
        Duration duration = parseWindow(window);
        if (duration.compareTo(Duration.ofMinutes(1)) < 0 || duration.compareTo(TaskStatistics.MAX_WINDOW) > 0) {
            throw ApiException.badRequest("window must be between 1m and 24h");
        }
        return statistics.stats(duration, ownerFilter, Instant.now());
    }

    /** {@code 90s}, {@code 15m}, {@code 1h}, {@code 1d}, or an ISO-8601 duration such as {@code PT1H}. */
    static Duration parseWindow(String window) {
        String value = window.trim().toLowerCase(Locale.ROOT);
        Matcher m = SHORT_DURATION.matcher(value);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(value.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("window must be a duration such as 15m, 1h, 24h or PT1H");
        }
    }
}
