package dev.taskmesh.agent.execution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ends a process and everything it started, politely first and then by force. */
final class ProcessTree {

    private static final Logger log = LoggerFactory.getLogger(ProcessTree.class);
    private static final Duration FORCED_WAIT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(20);

    private ProcessTree() {
    }

    /**
     * Kills {@code root}, its descendants and the {@code known} processes seen earlier under it (which a parent that
     * already exited left behind). Descendants are asked first, so that a parent still alive can reap them; whatever
     * is alive after {@code grace} is killed forcibly.
     *
     * @return whether every process is gone
     */
    static boolean kill(ProcessHandle root, Collection<ProcessHandle> known, Duration grace) {
        Set<ProcessHandle> victims = new LinkedHashSet<>();
        root.descendants().forEach(victims::add);
        victims.addAll(known);
        victims.forEach(ProcessHandle::destroy);
        root.destroy();
        if (awaitExit(all(root, victims), grace)) {
            return true;
        }
        // it may have started more processes while it was told to stop
        root.descendants().forEach(victims::add);
        victims.forEach(ProcessHandle::destroyForcibly);
        root.destroyForcibly();
        boolean gone = awaitExit(all(root, victims), FORCED_WAIT);
        if (!gone) {
            log.warn("Processes of pid {} still alive after SIGKILL: {}", root.pid(),
                    all(root, victims).stream().filter(ProcessTree::isRunning).map(ProcessHandle::pid).toList());
        }
        return gone;
    }

    private static List<ProcessHandle> all(ProcessHandle root, Collection<ProcessHandle> others) {
        List<ProcessHandle> all = new ArrayList<>(others);
        all.add(root);
        return all;
    }

    /**
     * Whether the process still runs. A zombie (exited, not yet reaped by its parent) counts as gone: it holds no
     * resources but a table entry, and {@link ProcessHandle#isAlive()} still reports it.
     */
    static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
        try {
            String text = Files.readString(stat);
            // "pid (comm) S ...": the state follows the last ')' since comm may contain anything
            int end = text.lastIndexOf(')');
            return end < 0 || end + 2 >= text.length() || text.charAt(end + 2) != 'Z';
        } catch (IOException e) {
            // no /proc (not Linux) or the process just went away
            return process.isAlive();
        }
    }

    private static boolean awaitExit(List<ProcessHandle> processes, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                if (processes.stream().noneMatch(ProcessTree::isRunning)) {
                    return true;
                }
                if (System.nanoTime() - deadline >= 0) {
                    return false;
                }
                try {
                    // polled rather than onExit(): a zombie never completes onExit() of a process that is not our child
                    Thread.sleep(POLL);
                } catch (InterruptedException e) {
                    // finish the kill first: the caller's thread gets its interrupt back afterwards
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
