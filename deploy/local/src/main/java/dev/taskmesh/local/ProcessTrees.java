package dev.taskmesh.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Kills a process and everything under it with SIGKILL, the way a crash or the kernel's OOM killer ends a program:
 * no shutdown hook, no graceful stop, and no orphan left behind (the children of a killed parent would otherwise be
 * adopted by init and keep running).
 *
 * <p>A tree is a moving target: a process may fork while it is being killed. So the tree is frozen first: SIGSTOP to
 * the process group of the root (children started under {@code setsid} lead their own group, which their
 * descendants share unless they leave it) and to every descendant found, again until a walk finds no new process;
 * a stopped process cannot fork. Then SIGKILL to the group and to each process. Without a {@code kill} program (not
 * Linux) it falls back to {@link ProcessHandle#destroyForcibly()} on a snapshot of the tree.
 */
final class ProcessTrees {

    private static final Path KILL = Path.of("/usr/bin/kill");
    private static final Path BIN_KILL = Path.of("/bin/kill");
    private static final int FREEZE_ROUNDS = 10;
    private static final Duration POLL = Duration.ofMillis(20);

    /**
     * SIGKILLs {@code root} and its descendants, and waits until none of them runs any more (a zombie counts as
     * gone: it runs nothing and holds no resources).
     *
     * @return the process ids that were killed, the root first
     * @throws PlatformException when a process still runs after {@code timeout}
     */
    static List<Long> kill(ProcessHandle root, Duration timeout) {
        Set<ProcessHandle> tree = new LinkedHashSet<>();
        tree.add(root);
        OptionalLong group = ownGroup(root);
        @Nullable String killProgram = killProgram();
        if (killProgram != null) {
            freeze(group, tree, killProgram);
            signal(killProgram, "KILL", group, tree);
        } else {
            root.descendants().forEach(tree::add);
        }
        // also for the fallback, and for a process that went away and whose pid is in use again: destroyForcibly
        // checks the start time of the handle, a kill(1) of a bare pid cannot
        tree.forEach(ProcessHandle::destroyForcibly);
        awaitGone(tree, timeout);
        return tree.stream().map(ProcessHandle::pid).toList();
    }

    /** Whether the process still runs: alive and not a zombie. */
    static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        return state(process.pid()).map(state -> state != 'Z').orElseGet(process::isAlive);
    }

    private static void freeze(OptionalLong group, Set<ProcessHandle> tree, String killProgram) {
        for (int round = 0; round < FREEZE_ROUNDS; round++) {
            signal(killProgram, "STOP", group, tree);
            int before = tree.size();
            for (ProcessHandle member : List.copyOf(tree)) {
                member.descendants().forEach(tree::add);
            }
            if (tree.size() == before) {
                return;
            }
        }
    }

    private static void signal(String killProgram, String signal, OptionalLong group, Set<ProcessHandle> processes) {
        List<String> command = new ArrayList<>(List.of(killProgram, "-s", signal, "--"));
        group.ifPresent(pgid -> command.add("-" + pgid));
        processes.stream().filter(ProcessHandle::isAlive).forEach(p -> command.add(Long.toString(p.pid())));
        try {
            Process kill = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // a non-zero exit only means that some process had already gone
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            throw new PlatformException("Cannot run " + killProgram + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformException("Interrupted while sending SIG" + signal, e);
        }
    }

    private static void awaitGone(Set<ProcessHandle> tree, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Long> running = tree.stream().filter(ProcessTrees::isRunning).map(ProcessHandle::pid).toList();
            if (running.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new PlatformException("Processes still running " + timeout.toSeconds() + " s after SIGKILL: "
                        + running);
            }
            try {
                // polled: onExit() never completes for a zombie that is not our child
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PlatformException("Interrupted while waiting for killed processes", e);
            }
        }
    }

    /**
     * The process group of {@code root} when the root leads it (started under {@code setsid}) and it is not the
     * group of this JVM: only then is signalling the whole group safe.
     */
    private static OptionalLong ownGroup(ProcessHandle root) {
        OptionalLong group = field(root.pid(), 5);
        OptionalLong ours = field(ProcessHandle.current().pid(), 5);
        if (group.isPresent() && group.getAsLong() == root.pid()
                && (ours.isEmpty() || ours.getAsLong() != group.getAsLong())) {
            return group;
        }
        return OptionalLong.empty();
    }

    private static Optional<Character> state(long pid) {
        return stat(pid).map(fields -> fields.isEmpty() ? '?' : fields.getFirst().charAt(0));
    }

    /** Field {@code n} (1-based, as in proc(5)) of {@code /proc/<pid>/stat}, for n ≥ 3. */
    private static OptionalLong field(long pid, int n) {
        return stat(pid)
                .filter(fields -> fields.size() > n - 3)
                .map(fields -> OptionalLong.of(Long.parseLong(fields.get(n - 3))))
                .orElse(OptionalLong.empty());
    }

    /** The fields of {@code /proc/<pid>/stat} after {@code (comm)}: state, ppid, pgrp, … */
    private static Optional<List<String>> stat(long pid) {
        try {
            String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ppid pgrp ...": comm may contain anything, so split after its last ')'
            int end = text.lastIndexOf(')');
            if (end < 0 || end + 2 >= text.length()) {
                return Optional.empty();
            }
            return Optional.of(List.of(text.substring(end + 2).trim().split("\\s+")));
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux), or the process just went away
            return Optional.empty();
        }
    }

    private static @Nullable String killProgram() {
        for (Path candidate : List.of(KILL, BIN_KILL)) {
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private ProcessTrees() {
    }
}
