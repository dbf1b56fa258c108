package dev.taskmesh.local;

import java.nio.file.Path;

/** The child JVMs of a local platform, each started from its module's executable jar. */
public enum Component {

    WORKER_REGISTRY("worker-registry"),
    TASK_SERVICE("task-service"),
    RESULT_SERVICE("result-service"),
    API_GATEWAY("api-gateway"),
    WORKER_AGENT("worker-agent");

    private final String module;

    Component(String module) {
        this.module = module;
    }

    /** The Maven module, which is also the name of the log file and of the process in messages. */
    public String module() {
        return module;
    }

    /** {@code <module>/target/<module>-exec.jar} under the repository root. */
    public Path jar(Path repositoryRoot) {
        return repositoryRoot.resolve(module).resolve("target").resolve(module + "-exec.jar");
    }

    @Override
    public String toString() {
        return module;
    }
}
