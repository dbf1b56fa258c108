package dev.taskmesh.agent.execution;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.LogStream;
import dev.taskmesh.contract.agent.TaskAssignment;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt while it runs: its assignment and folders, its log (kept in {@code log.txt} and passed to the
 * listener, numbered from 1) and its cancellation. Safe to use from several threads.
 */
public final class AttemptRun implements AutoCloseable {

    /** Prefix of the agent's own notes in {@code log.txt}, to tell them from the task's output. */
    public static final String AGENT_PREFIX = "[taskmesh] ";

    private static final Logger log = LoggerFactory.getLogger(AttemptRun.class);

    private final TaskAssignment assignment;
    private final AttemptLayout layout;
    private final AttemptListener listener;
    private final Clock clock;
    private final ChildTasks children;
    private final CompletableFuture<String> cancellation = new CompletableFuture<>();
    private long seq;
    private @Nullable BufferedWriter logWriter;
    private boolean logBroken;
    private boolean logClosed;
    private boolean usedDisk;

    /** An attempt without a platform to submit children to ({@code run-local}). */
    public AttemptRun(TaskAssignment assignment, AttemptLayout layout, AttemptListener listener) {
        this(assignment, layout, listener, ChildTasks.UNSUPPORTED);
    }

    /** An attempt whose children are submitted and followed by {@code children}. */
    public AttemptRun(TaskAssignment assignment, AttemptLayout layout, AttemptListener listener,
                      ChildTasks children) {
        this(assignment, layout, listener, Clock.systemUTC(), children);
    }

    AttemptRun(TaskAssignment assignment, AttemptLayout layout, AttemptListener listener, Clock clock) {
        this(assignment, layout, listener, clock, ChildTasks.UNSUPPORTED);
    }

    private AttemptRun(TaskAssignment assignment, AttemptLayout layout, AttemptListener listener, Clock clock,
                       ChildTasks children) {
        this.assignment = assignment;
        this.layout = layout;
        this.listener = listener;
        this.clock = clock;
        this.children = children;
    }

    public TaskAssignment assignment() {
        return assignment;
    }

    public AttemptLayout layout() {
        return layout;
    }

    /** The attempt's child tasks. */
    public ChildTasks children() {
        return children;
    }

    /**
     * Creates the folders, writes {@code input.json} and opens {@code log.txt}: what a process needs before it starts.
     * A handler gets none of it up front; its output folder and log file appear when it first uses them, so that a
     * short handler task costs no file system work at all.
     */
    void prepare() throws IOException {
        beforeDiskUse();
        Files.createDirectories(layout.workDir());
        Files.createDirectories(layout.outputDir());
        Files.createDirectories(layout.inputFile().getParent());
        Files.writeString(layout.inputFile(), WireJson.mapper().writeValueAsString(assignment.input()));
        synchronized (this) {
            openLog();
        }
    }

    /** The output folder, created on first use. */
    public Path outputDir() {
        try {
            beforeDiskUse();
            return Files.createDirectories(layout.outputDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output folder " + layout.outputDir(), e);
        }
    }

    /** Adds a line to the log: written to {@code log.txt} and passed to the listener. */
    public void log(LogStream stream, String text) {
        LogLine line;
        synchronized (this) {
            line = new LogLine(++seq, clock.instant(), stream, text);
            writeToFile(stream == LogStream.AGENT ? AGENT_PREFIX + text : text);
            // under the lock too, so that the listener sees lines in seq order
            try {
                listener.onLog(line);
            } catch (RuntimeException e) {
                log.warn("Log listener failed for task {} attempt {}", assignment.taskId(), assignment.attempt(), e);
            }
        }
    }

    /** Adds a note of the agent itself to the log. */
    public void note(String text) {
        log(LogStream.AGENT, text);
    }

    /** Reports progress to the listener. */
    public void progress(@Nullable Integer percent, @Nullable String stage) {
        if (percent != null && (percent < 0 || percent > 100)) {
            throw new IllegalArgumentException("percent must be between 0 and 100: " + percent);
        }
        try {
            listener.onProgress(percent, stage);
        } catch (RuntimeException e) {
            log.warn("Progress listener failed for task {} attempt {}", assignment.taskId(), assignment.attempt(), e);
        }
    }

    /** Asks the attempt to stop; the first reason wins. The processor kills the process tree and ends as CANCELLED. */
    public void cancel(String reason) {
        cancellation.complete(reason);
    }

    public boolean isCancelled() {
        return cancellation.isDone();
    }

    public Optional<String> cancelReason() {
        return Optional.ofNullable(cancellation.getNow(null));
    }

    /** Completes with the reason when the attempt is cancelled. */
    CompletableFuture<String> cancellation() {
        return cancellation;
    }

    /** Flushes and closes {@code log.txt}; later lines still reach the listener. */
    @Override
    public synchronized void close() {
        logClosed = true;
        if (logWriter != null) {
            try {
                logWriter.close();
            } catch (IOException e) {
                log.warn("Could not close {}", layout.logFile(), e);
            }
            logWriter = null;
        }
    }

    /**
     * Whether the attempt has written anything to disk. One that has not has no output files and no log file, and no
     * folder to list, upload or delete: a short handler task costs no file system call.
     */
    public synchronized boolean usedDisk() {
        return usedDisk;
    }

    /** Before the attempt's first write: its own folder may hold what an earlier agent process left for this attempt. */
    private synchronized void beforeDiskUse() throws IOException {
        if (usedDisk) {
            return;
        }
        if (layout.ownWorkDir()) {
            FolderTree.delete(layout.workDir());
        }
        usedDisk = true;
    }

    private void openLog() throws IOException {
        beforeDiskUse();
        Files.createDirectories(layout.logFile().getParent());
        logWriter = Files.newBufferedWriter(layout.logFile(), StandardCharsets.UTF_8);
    }

    private void writeToFile(String text) {
        if (logClosed || logBroken) {
            return;
        }
        try {
            if (logWriter == null) {
                openLog();
            }
            logWriter.write(text);
            logWriter.newLine();
        } catch (IOException e) {
            // a full disk must not stop the task; the live log still reaches the platform
            logBroken = true;
            log.warn("Could not write {}", layout.logFile(), new UncheckedIOException(e));
        }
    }
}
