package dev.taskmesh.task.dispatch;

import java.util.List;

/** The agents connected to this instance, as people see them. */
public interface WorkerDirectory {

    /** One summary per connected agent that has sent its first heartbeat, all {@code online}. */
    List<WorkerSummary> connectedWorkers();
}
