package dev.taskmesh.task.events;

import dev.taskmesh.task.dispatch.AgentChanged;
import dev.taskmesh.task.dispatch.WorkerSummary;
import dev.taskmesh.task.lifecycle.LiveSubscriptions;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.context.event.EventListener;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.stereotype.Component;

/**
 * Worker changes on {@code /topic/workers}: every agent that comes online or goes away, and heartbeat summaries,
 * at most one per worker per {@code taskmesh.events.worker-summary-interval}. Only the agents connected to this
 * instance are seen (one instance here; an external broker relay would gather them in cluster mode).
 */
@Component
class WorkerFeed {

    private final SimpMessageSendingOperations messaging;
    private final EventsProperties properties;
    private final LiveSubscriptions live;
    /** When each online worker's last summary was published. */
    private final Map<String, Instant> lastPublished = new ConcurrentHashMap<>();

    WorkerFeed(SimpMessageSendingOperations messaging, EventsProperties properties, LiveSubscriptions live) {
        this.messaging = messaging;
        this.properties = properties;
        this.live = live;
    }

    @EventListener
    void onAgentChanged(AgentChanged change) {
        WorkerSummary summary = change.summary();
        String workerId = summary.workerId();
        if (!summary.online()) {
            lastPublished.remove(workerId);
            publish(summary);
            return;
        }
        Instant now = Instant.now();
        boolean[] due = {change.connected()};
        lastPublished.compute(workerId, (id, last) -> {
            if (due[0] || last == null || !now.isBefore(last.plus(properties.workerSummaryInterval()))) {
                due[0] = true;
                return now;
            }
            return last;
        });
        if (due[0]) {
            publish(summary);
        }
    }

    private void publish(WorkerSummary summary) {
        if (live.watched(EventDestinations.WORKERS)) {
            messaging.convertAndSend(EventDestinations.WORKERS, summary);
        }
    }
}
