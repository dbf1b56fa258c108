package dev.taskmesh.task;

import dev.taskmesh.support.ServiceSupportConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/** Task intake, dispatch to agents and the task lifecycle. */
@SpringBootApplication
@Import(ServiceSupportConfiguration.class)
public class TaskServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(TaskServiceApplication.class, args);
    }
}
