package dev.taskmesh.task.lifecycle;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Why no online worker can ever run a queued task, in words a person can act on. The checks mirror the claim
 * statement's hard requirements (targets, task type, labels, CPUs, memory, GPUs with their memory) and are applied
 * one after the other, so the reason names the first requirement that leaves no worker; when each requirement is
 * met by some worker that runs the type but none meets them together, the reason lists them all. Busy workers
 * count as able: a task that waits for a free slot has no waiting reason.
 */
final class WaitingReasons {

    private WaitingReasons() {
    }

    /** One hard requirement: what it asks, whether a worker meets it, and how to say that none does. */
    private record Check(String asks, Predicate<FleetWorker> met, String noneMeets) {
    }

    /** The reason, or null when some online worker that is not drained could run the task. */
    static @Nullable String of(TaskRow task, List<FleetWorker> online) {
        String unmet = unmet(task, online);
        if (unmet != null) {
            return unmet;
        }
        List<FleetWorker> open = online.stream().filter(w -> !w.draining()).toList();
        return unmet(task, open) == null ? null : "waiting: every online worker that can run it is draining";
    }

    private static @Nullable String unmet(TaskRow task, List<FleetWorker> workers) {
        if (workers.isEmpty()) {
            return "waiting: no worker is online";
        }
        List<FleetWorker> candidates = workers;
        String who = "no online worker";
        if (!task.targetWorkers().isEmpty()) {
            Set<String> targets = new HashSet<>(task.targetWorkers());
            candidates = workers.stream().filter(w -> targets.contains(w.workerId())).toList();
            if (candidates.isEmpty()) {
                return "waiting: target workers " + task.targetWorkers() + " are not online";
            }
            who = "no online target worker";
        }
        List<FleetWorker> scope = candidates.stream().filter(w -> w.taskTypes().contains(task.type())).toList();
        if (scope.isEmpty()) {
            return "waiting: " + who + " offers task type '" + task.type() + "'";
        }
        // among the workers that run the type: the first requirement that leaves none names the reason
        List<Check> checks = checks(task, who);
        candidates = scope;
        for (Check check : checks) {
            List<FleetWorker> meeting = candidates.stream().filter(check.met()).toList();
            if (meeting.isEmpty()) {
                // some worker meets it, but not together with the requirements before it: name them all
                return scope.stream().anyMatch(check.met()) ? allOf(task, checks, who)
                        : "waiting: " + check.noneMeets();
            }
            candidates = meeting;
        }
        return null;
    }

    private static String allOf(TaskRow task, List<Check> checks, String who) {
        List<String> asks = new ArrayList<>();
        asks.add("task type '" + task.type() + "'");
        checks.forEach(check -> asks.add(check.asks()));
        return "waiting: " + who + " has all of: " + String.join(", ", asks);
    }

    private static List<Check> checks(TaskRow task, String who) {
        Requirements r = task.requirements();
        List<Check> checks = new ArrayList<>();
        if (!r.labels().isEmpty()) {
            checks.add(new Check("labels " + r.labels(), w -> w.labels().containsAll(r.labels()),
                    who + " has labels " + r.labels()));
        }
        if (r.cpus() > 0) {
            String cpus = r.cpus() + (r.cpus() == 1 ? " CPU" : " CPUs");
            checks.add(new Check(cpus, w -> w.cpus() >= r.cpus(), who + " has " + cpus));
        }
        if (r.memoryMb() > 0) {
            String memory = r.memoryMb() + " MiB of memory";
            checks.add(new Check(memory, w -> w.memoryMb() >= r.memoryMb(), who + " has " + memory));
        }
        if (r.gpus() > 0) {
            String gpus = r.gpus() + (r.gpus() == 1 ? " GPU" : " GPUs")
                    + (r.gpuMemoryMb() > 0 ? " with " + r.gpuMemoryMb() + " MiB" : "");
            checks.add(new Check(gpus, w -> w.gpusWith(r.gpuMemoryMb()) >= r.gpus(), who + " has " + gpus));
        }
        return checks;
    }
}
