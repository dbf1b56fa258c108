package dev.taskmesh.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds the processes of a test task on this machine by a marker unique to it: in their arguments (all of argv, read
 * from {@code /proc/<pid>/cmdline}, else {@link ProcessHandle.Info#commandLine()}) or in their environment, which
 * the children a task starts inherit. Processes that no longer run (zombies) do not count.
 */
final class MarkedProcesses {

    /** A process found, for assertion messages. */
    record Found(long pid, String commandLine) {
    }

    static List<Found> find(String marker) {
        return ProcessHandle.allProcesses()
                .filter(process -> process.pid() != ProcessHandle.current().pid())
                .filter(ProcessTrees::isRunning)
                .map(process -> new Found(process.pid(), commandLine(process)))
                .filter(found -> found.commandLine().contains(marker) || environmentContains(found.pid(), marker))
                .toList();
    }

    private static String commandLine(ProcessHandle process) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException | RuntimeException e) {
            return process.info().commandLine().orElse("");
        }
    }

    private static boolean environmentContains(long pid, String marker) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
            return new String(raw, StandardCharsets.UTF_8).contains(marker);
        } catch (IOException | RuntimeException e) {
            // gone, or not ours to read: its arguments were checked
            return false;
        }
    }

    private MarkedProcesses() {
    }
}
