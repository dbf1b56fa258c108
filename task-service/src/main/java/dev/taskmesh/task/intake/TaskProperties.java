package dev.taskmesh.task.intake;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Defaults of submitted tasks.
 *
 * @param defaultMaxAttempts how many attempts a task gets when the submission does not say
 */
@ConfigurationProperties("taskmesh.tasks")
record TaskProperties(@DefaultValue("3") int defaultMaxAttempts) {
}
