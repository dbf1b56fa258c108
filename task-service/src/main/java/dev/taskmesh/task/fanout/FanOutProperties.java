package dev.taskmesh.task.fanout;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Groups and children.
 *
 * @param groupSweepInterval how often running groups whose children all ended are looked for: a group normally ends
 *                           right after its last child's outcome, this catches a check lost in a crash
 */
@ConfigurationProperties("taskmesh.fan-out")
record FanOutProperties(@DefaultValue("5s") Duration groupSweepInterval) {
}
