package dev.taskmesh.agent.execution;

import dev.taskmesh.agent.handler.TaskHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs attempts of every type this agent knows: {@code command} and the types of its handlers. */
public final class TaskExecutor {

    /** The built-in task type that runs a program. */
    public static final String COMMAND = CommandProcessor.TYPE;
    /** How long a process tree (or handler) gets to stop after being asked, before it is killed. */
    public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(TaskExecutor.class);

    private final Map<String, TaskProcessor> processors = new TreeMap<>();

    public TaskExecutor(Collection<? extends TaskHandler> handlers, Duration killGrace) {
        processors.put(COMMAND, new CommandProcessor(killGrace));
        for (TaskHandler handler : handlers) {
            String type = handler.type();
            if (processors.containsKey(type)) {
                log.warn("Ignoring handler {} for task type '{}': the type is already served", handler.getClass().getName(), type);
                continue;
            }
            processors.put(type, new HandlerProcessor(handler, killGrace));
        }
    }

    /** An executor with the handlers found by {@link ServiceLoader} on the class path. */
    public static TaskExecutor withDiscoveredHandlers(Duration killGrace) {
        return new TaskExecutor(discoverHandlers(), killGrace);
    }

    static List<TaskHandler> discoverHandlers() {
        List<TaskHandler> handlers = new ArrayList<>();
        Iterator<TaskHandler> found = ServiceLoader.load(TaskHandler.class).iterator();
        while (true) {
            try {
                if (!found.hasNext()) {
                    return handlers;
                }
                handlers.add(found.next());
            } catch (ServiceConfigurationError e) {
                // one broken handler jar must not keep the agent from running everything else
                log.error("Could not load a task handler", e);
            }
        }
    }

    /** The task types this agent runs, {@code command} included, sorted. */
    public List<String> taskTypes() {
        return List.copyOf(processors.keySet());
    }

    /**
     * Runs the attempt to its end with the processor of its type. Never throws for a task's failure; the result says
     * how it ended.
     */
    public AttemptResult execute(AttemptRun run) {
        String type = run.assignment().type();
        TaskProcessor processor = processors.get(type);
        if (processor == null) {
            run.note("this agent has no handler for task type '" + type + "'");
            return AttemptResult.failed("this agent has no handler for task type '" + type + "'", true, null);
        }
        if (run.isCancelled()) {
            return AttemptResult.cancelled(run.cancelReason().orElse("cancelled"));
        }
        try {
            return processor.run(run);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AttemptResult.cancelled("interrupted");
        } catch (RuntimeException e) {
            log.error("Task {} attempt {} failed in the agent", run.assignment().taskId(), run.assignment().attempt(), e);
            run.note("agent error: " + e);
            return AttemptResult.failed("agent error: " + e, true, null);
        }
    }
}
