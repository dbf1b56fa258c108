package dev.taskmesh.agent.connection;

import dev.taskmesh.contract.agent.LogLine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Gathers the log lines of one attempt into batches: a batch goes out {@code maxDelay} after its first line, or as soon
 * as it holds {@code maxLines} lines or {@code maxBytes} of text, whichever comes first. Batches reach the sink one at a
 * time and in order. Lines longer than {@link #MAX_LINE_CHARS} are cut in the batch (the uploaded log keeps them
 * whole) so that a batch stays well inside a STOMP frame.
 */
public final class LogBatcher implements AutoCloseable {

    /** The agent's batching: every 200 ms or 500 lines. */
    public static final Duration DEFAULT_DELAY = Duration.ofMillis(200);
    public static final int DEFAULT_MAX_LINES = 500;
    /** Text per batch, so that a batch with its JSON stays far below the usual 64 KiB STOMP frame limit. */
    public static final int DEFAULT_MAX_BYTES = 32 * 1024;
    static final int MAX_LINE_CHARS = 4096;
    static final String CUT_MARK = " …[cut, full line in the uploaded log]";

    private final Consumer<List<LogLine>> sink;
    private final ScheduledExecutorService scheduler;
    private final Duration maxDelay;
    private final int maxLines;
    private final int maxBytes;
    private final Object sendLock = new Object();
    private List<LogLine> batch = new ArrayList<>();
    private int batchBytes;
    private @Nullable ScheduledFuture<?> timer;
    private boolean closed;

    public LogBatcher(Consumer<List<LogLine>> sink, ScheduledExecutorService scheduler, Duration maxDelay,
                      int maxLines, int maxBytes) {
        this.sink = sink;
        this.scheduler = scheduler;
        this.maxDelay = maxDelay;
        this.maxLines = maxLines;
        this.maxBytes = maxBytes;
    }

    /** Adds a line; may send a full batch on the caller's thread. After {@link #close()} lines are dropped. */
    public void add(LogLine line) {
        LogLine cut = line.text().length() > MAX_LINE_CHARS
                ? new LogLine(line.seq(), line.at(), line.stream(), line.text().substring(0, MAX_LINE_CHARS) + CUT_MARK)
                : line;
        int bytes = cut.text().getBytes(StandardCharsets.UTF_8).length;
        List<List<LogLine>> ready = new ArrayList<>(2);
        synchronized (sendLock) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                if (!batch.isEmpty() && batchBytes + bytes > maxBytes) {
                    ready.add(take());
                }
                batch.add(cut);
                batchBytes += bytes;
                if (batch.size() >= maxLines || batchBytes >= maxBytes) {
                    ready.add(take());
                } else if (timer == null) {
                    timer = scheduler.schedule(this::flush, maxDelay.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            ready.forEach(this::emit);
        }
    }

    /** Sends what is waiting now. */
    public void flush() {
        synchronized (sendLock) {
            List<LogLine> lines;
            synchronized (this) {
                lines = take();
            }
            emit(lines);
        }
    }

    /** Sends what is waiting and stops: the attempt has ended. */
    @Override
    public void close() {
        synchronized (sendLock) {
            List<LogLine> lines;
            synchronized (this) {
                lines = take();
                closed = true;
            }
            emit(lines);
        }
    }

    private List<LogLine> take() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        List<LogLine> lines = batch;
        batch = new ArrayList<>();
        batchBytes = 0;
        return lines;
    }

    private void emit(List<LogLine> lines) {
        if (!lines.isEmpty()) {
            sink.accept(List.copyOf(lines));
        }
    }
}
