package dev.taskmesh.registry;

import dev.taskmesh.support.ServiceSupportConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The worker registry: users and their tokens, the signing key and its JWKS, registered workers and their
 * liveness.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
@Import(ServiceSupportConfiguration.class)
public class WorkerRegistryApplication {

    public static void main(String[] args) {
        SpringApplication.run(WorkerRegistryApplication.class, args);
    }
}
