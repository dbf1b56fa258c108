package dev.taskmesh.task.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;

/** Logs a repeating failure at WARN at most once a minute, so that an outage does not flood the log. */
final class RateLimitedLog {

    private static final Duration PERIOD = Duration.ofMinutes(1);

    private final Logger log;
    private final AtomicReference<Instant> last = new AtomicReference<>(Instant.EPOCH);

    RateLimitedLog(Logger log) {
        this.log = log;
    }

    void warn(String format, Object... args) {
        Instant now = Instant.now();
        Instant previous = last.get();
        if (now.isAfter(previous.plus(PERIOD)) && last.compareAndSet(previous, now)) {
            log.warn(format, args);
        } else {
            log.debug(format, args);
        }
    }
}
