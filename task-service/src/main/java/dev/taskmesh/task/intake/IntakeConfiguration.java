package dev.taskmesh.task.intake;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/** Enables the intake's properties. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TaskProperties.class)
class IntakeConfiguration {
}
