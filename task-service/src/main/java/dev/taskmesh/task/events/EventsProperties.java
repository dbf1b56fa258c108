package dev.taskmesh.task.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Live events for people.
 *
 * @param workerSummaryInterval the least time between two heartbeat summaries of one worker on
 *                              {@code /topic/workers}; a little below the agents' heartbeat interval (5 s), so
 *                              that each regular heartbeat is shown and the extra ones in between are not
 */
@ConfigurationProperties("taskmesh.events")
record EventsProperties(@DefaultValue("4s") Duration workerSummaryInterval) {
}
