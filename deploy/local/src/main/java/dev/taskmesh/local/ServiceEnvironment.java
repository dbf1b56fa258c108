package dev.taskmesh.local;

import dev.taskmesh.contract.ApiPaths;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment each child is started with: the one place that knows which variable each service reads.
 * Every setting is given under the name the service documents and, where a service might bind the property
 * directly, under its Spring relaxed-binding name too (e.g. {@code taskmesh.dispatch.registry-url} is
 * {@code TASKMESH_DISPATCH_REGISTRYURL}), so that a small naming difference does not silently leave a default.
 */
final class ServiceEnvironment {

    /** What the children need to know about each other. */
    record Wiring(String databaseUrl, String databaseUser, String databasePassword, String internalSecret,
                  String listenAddress, Map<Component, Integer> ports, Path resultsDirectory, String adminPassword) {

        String urlOf(Component component) {
            return "http://127.0.0.1:" + ports.get(component);
        }

        String jwksUri() {
            return urlOf(Component.WORKER_REGISTRY) + ApiPaths.AUTH_JWKS;
        }
    }

    /** The local worker agent's identity and folders. */
    record AgentSettings(String serverUrl, String workerId, String workerToken, List<String> labels,
                         Path workDirectory, int slots) {
    }

    static Map<String, String> of(Component component, Wiring wiring) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_PORT", String.valueOf(wiring.ports().get(component)));
        // only the gateway faces clients (and remote agents); the others are reached through it
        env.put("SERVER_ADDRESS", component == Component.API_GATEWAY ? wiring.listenAddress() : LocalPlatformConfig.LOOPBACK);
        put(env, wiring.internalSecret(), "TASKMESH_INTERNAL_SECRET", "TASKMESH_SECURITY_INTERNALSECRET");
        put(env, wiring.jwksUri(), "TASKMESH_JWKS_URI", "TASKMESH_SECURITY_JWKSURI");
        switch (component) {
            case WORKER_REGISTRY -> {
                database(env, wiring);
                env.put("TASKMESH_ADMIN_PASSWORD", wiring.adminPassword());
            }
            case TASK_SERVICE -> {
                database(env, wiring);
                put(env, wiring.urlOf(Component.WORKER_REGISTRY),
                        "TASKMESH_REGISTRY_URL", "TASKMESH_DISPATCH_REGISTRY_URL", "TASKMESH_DISPATCH_REGISTRYURL");
            }
            case RESULT_SERVICE -> {
                database(env, wiring);
                put(env, wiring.resultsDirectory().toString(), "TASKMESH_RESULTS_DIR", "TASKMESH_RESULTS_STORAGEDIR");
                put(env, wiring.urlOf(Component.TASK_SERVICE), "TASKMESH_TASK_SERVICE_URL",
                        "TASKMESH_RESULTS_TASK_SERVICE_URL", "TASKMESH_RESULTS_TASKSERVICEURL");
            }
            case API_GATEWAY -> {
                put(env, wiring.urlOf(Component.WORKER_REGISTRY), "TASKMESH_REGISTRY_URL", "TASKMESH_GATEWAY_REGISTRYURL");
                put(env, wiring.urlOf(Component.TASK_SERVICE),
                        "TASKMESH_TASK_SERVICE_URL", "TASKMESH_GATEWAY_TASKSERVICEURL");
                put(env, wiring.urlOf(Component.RESULT_SERVICE),
                        "TASKMESH_RESULT_SERVICE_URL", "TASKMESH_GATEWAY_RESULTSERVICEURL");
            }
            case WORKER_AGENT -> throw new IllegalArgumentException("the agent is configured by agent(...)");
        }
        return env;
    }

    /** The agent gets no internal secret and no database: it is an ordinary client of the gateway. */
    static Map<String, String> agent(AgentSettings settings) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TASKMESH_SERVER", settings.serverUrl());
        env.put("TASKMESH_WORKER_ID", settings.workerId());
        env.put("TASKMESH_WORKER_TOKEN", settings.workerToken());
        env.put("TASKMESH_LABELS", String.join(",", settings.labels()));
        env.put("TASKMESH_WORK_DIR", settings.workDirectory().toString());
        env.put("TASKMESH_SLOTS", String.valueOf(settings.slots()));
        return env;
    }

    /**
     * Whether a variable of the launcher's own environment is kept from the children: secrets there are meant
     * for one child at most (a task run by the agent could otherwise read them); the launcher sets the ones each
     * child needs. Other {@code TASKMESH_*} settings pass through, so a service can be tuned from the shell.
     */
    static boolean isWithheld(String name) {
        boolean ours = name.startsWith("TASKMESH_") || name.startsWith("SPRING_");
        return ours && (name.contains("PASSWORD") || name.contains("SECRET") || name.contains("TOKEN"));
    }

    private static void database(Map<String, String> env, Wiring wiring) {
        put(env, wiring.databaseUrl(), "TASKMESH_DATABASE_URL", "SPRING_DATASOURCE_URL");
        put(env, wiring.databaseUser(), "TASKMESH_DATABASE_USER", "SPRING_DATASOURCE_USERNAME");
        put(env, wiring.databasePassword(), "TASKMESH_DATABASE_PASSWORD", "SPRING_DATASOURCE_PASSWORD");
    }

    private static void put(Map<String, String> env, String value, String... names) {
        for (String name : names) {
            env.put(name, value);
        }
    }

    private ServiceEnvironment() {
    }
}
