package dev.taskmesh.task;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.concurrent.SimpleAsyncTaskScheduler;

/**
 * Periodic jobs (lease sweep, heartbeat flush, gauges) run on virtual threads of this scheduler, apart from the
 * STOMP broker's scheduler. Components add their jobs through {@code SchedulingConfigurer} with the intervals of
 * their properties. Being the application's one {@code AsyncTaskExecutor}, it also runs the STOMP outbound channel.
 */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
class SchedulingConfiguration {

    /** Named {@code taskScheduler} so that scheduling picks it over the broker's {@code messageBrokerTaskScheduler}. */
    @Bean
    SimpleAsyncTaskScheduler taskScheduler() {
        var scheduler = new SimpleAsyncTaskScheduler();
        scheduler.setVirtualThreads(true);
        scheduler.setThreadNamePrefix("task-service-");
        return scheduler;
    }
}
