package dev.taskmesh.task.intake;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Defaults and limits of task intake.
 *
 * @param defaultMaxAttempts    how many attempts a task gets when the submission does not say
 * @param maxWaitsPerSession    how many submissions with {@code wait-seconds} one STOMP session may have waiting for
 *                              their answers at once; one more is refused with 429 before it is stored
 */
@ConfigurationProperties("taskmesh.tasks")
record TaskProperties(@DefaultValue("3") int defaultMaxAttempts, @DefaultValue("1000") int maxWaitsPerSession) {
}
