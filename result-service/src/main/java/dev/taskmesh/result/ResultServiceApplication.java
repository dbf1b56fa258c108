package dev.taskmesh.result;

import dev.taskmesh.support.ServiceSupportConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/** Keeps the output files, logs and output JSON of task attempts, and serves them to the tasks' owners. */
@SpringBootApplication
@Import(ServiceSupportConfiguration.class)
@EnableConfigurationProperties(ResultsProperties.class)
public class ResultServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(ResultServiceApplication.class, args);
    }
}
