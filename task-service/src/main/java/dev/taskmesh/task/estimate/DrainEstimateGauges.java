package dev.taskmesh.task.estimate;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * Gauge {@code taskmesh.queue.drain.estimate} (seconds, tag {@code type}; {@code type="_all"} for the whole queue,
 * a name no task type can have), computed every few seconds rather than on every scrape. NaN when unknown (no
 * sample or no slot).
 */
@Component
class DrainEstimateGauges implements SchedulingConfigurer {

    static final String METRIC = "taskmesh.queue.drain.estimate";
    static final String ALL = "_all";
    private static final Logger log = LoggerFactory.getLogger(DrainEstimateGauges.class);
    private static final Duration REFRESH = Duration.ofSeconds(5);

    private final DrainEstimator estimator;
    private final MultiGauge gauge;

    DrainEstimateGauges(DrainEstimator estimator, MeterRegistry meters) {
        this.estimator = estimator;
        this.gauge = MultiGauge.builder(METRIC).baseUnit("seconds")
                .description("Estimated seconds for the online workers to finish the queued and running tasks")
                .register(meters);
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::refresh, REFRESH);
    }

    void refresh() {
        try {
            DrainEstimate estimate = estimator.estimate(null);
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            rows.add(MultiGauge.Row.of(Tags.of("type", ALL), value(estimate.estimatedDrainSeconds())));
            for (DrainEstimate.TypeEstimate type : estimate.types()) {
                rows.add(MultiGauge.Row.of(Tags.of("type", type.type()), value(type.estimatedDrainSeconds())));
            }
            // types without unfinished tasks drop out of the gauge
            gauge.register(rows, true);
        } catch (DataAccessException e) {
            log.warn("Cannot compute the drain estimate for the gauges: {}", e.getMessage());
        }
    }

    private static double value(@Nullable Double seconds) {
        return seconds == null ? Double.NaN : seconds;
    }
}
