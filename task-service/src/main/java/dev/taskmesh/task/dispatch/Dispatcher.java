package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.task.lifecycle.AgentOffer;
import dev.taskmesh.task.lifecycle.TaskChanged;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskRow;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * One loop that gives queued tasks to the connected agents with free slots. It wakes when a task is queued
 * (submitted or requeued, after the commit), when an agent reports free slots or finishes a task, and at least every
 * {@code taskmesh.dispatch.sweep-interval} to catch anything a signal missed. Each agent's tasks are claimed in one
 * statement that skips rows other instances hold, then pushed to the agent. The loop has a platform thread of its
 * own: it waits on the database most of the time, and on a virtual thread every reply of the database would be one
 * more hand-off through the scheduler, on the path of every task.
 */
@Component
class Dispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final TaskLifecycle lifecycle;
    private final ConnectedAgents agents;
    private final AgentOutbox outbox;
    private final DispatchProperties properties;
    private final Semaphore wakeups = new Semaphore(0);
    private final RateLimitedLog failures = new RateLimitedLog(log);
    private volatile boolean running;
    private @Nullable Thread loop;

    Dispatcher(TaskLifecycle lifecycle, ConnectedAgents agents, AgentOutbox outbox, DispatchProperties properties) {
        this.lifecycle = lifecycle;
        this.agents = agents;
        this.outbox = outbox;
        this.properties = properties;
    }

    /** Asks for a dispatch round soon; signals that arrive during a round cause one more round, not many. */
    void signal() {
        if (wakeups.availablePermits() == 0) {
            wakeups.release();
        }
    }

    @TransactionalEventListener
    void onTaskChanged(TaskChanged change) {
        if (change.task().status() == TaskStatus.QUEUED && change.statusChanged()) {
            signal();
        }
    }

    @Override
    public void start() {
        running = true;
        loop = Thread.ofPlatform().name("task-dispatcher").daemon().start(this::run);
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = loop;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void run() {
        while (running) {
            try {
                wakeups.tryAcquire(properties.sweepInterval().toMillis(), TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
                if (running) {
                    dispatchRound();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failures.warn("Dispatch round failed: {}", e.toString());
            }
        }
    }

    /**
     * Claims and pushes tasks for every agent with free slots, all claims in one transaction; when that fails, each
     * agent's claim is tried on its own, so that one agent's problem does not hold back the others.
     */
    void dispatchRound() {
        List<AgentOffer> offers = agents.offers();
        if (offers.isEmpty() || !running) {
            return;
        }
        List<List<TaskRow>> claimed;
        try {
            claimed = lifecycle.claimAll(offers);
        } catch (RuntimeException e) {
            failures.warn("Dispatch round failed ({}); claiming for each worker alone", e.toString());
            dispatchOneByOne(offers);
            return;
        }
        for (int i = 0; i < offers.size(); i++) {
            if (!claimed.get(i).isEmpty()) {
                push(offers.get(i).workerId(), claimed.get(i));
            }
        }
    }

    private void dispatchOneByOne(List<AgentOffer> offers) {
        for (AgentOffer offer : offers) {
            if (!running) {
                return;
            }
            try {
                List<TaskRow> claimed = lifecycle.claim(offer);
                if (!claimed.isEmpty()) {
                    push(offer.workerId(), claimed);
                }
            } catch (RuntimeException e) {
                failures.warn("Cannot dispatch to worker {}: {}", offer.workerId(), e.toString());
            }
        }
    }

    private void push(String workerId, List<TaskRow> claimed) {
        Instant now = Instant.now();
        agents.assigned(workerId, claimed.stream().map(t -> new RunningAttempt(t.id(), t.attempt())).toList(), now);
        // if the agent is gone meanwhile, the lease sweep or its reconnect requeues the tasks
        outbox.assign(workerId, claimed.stream().map(Dispatcher::assignment).toList());
        log.debug("Assigned {} task(s) to worker {}", claimed.size(), workerId);
    }

    private static TaskAssignment assignment(TaskRow task) {
        Instant assignedAt = task.assignedAt() == null ? Instant.now() : task.assignedAt();
        return new TaskAssignment(task.id(), task.attempt(), task.type(), task.input(), task.timeoutSeconds(),
                task.owner(), assignedAt, labels(task.requirements().labels()));
    }

    /** Labels such as {@code region=eu} become {@code region -> eu}; a bare label {@code ssd} becomes {@code ssd -> true}. */
    private static Map<String, String> labels(List<String> labels) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String label : labels) {
            int eq = label.indexOf('=');
            if (eq > 0) {
                map.put(label.substring(0, eq), label.substring(eq + 1));
            } else {
                map.put(label, "true");
            }
        }
        return map;
    }
}
