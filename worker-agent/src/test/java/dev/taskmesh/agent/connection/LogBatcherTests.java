package dev.taskmesh.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.LogStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogBatcherTests {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<List<LogLine>> batches = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    @Test
    void sendsAFullBatchAtOnceWithoutWaitingForTheTimer() {
        LogBatcher batcher = new LogBatcher(batches::add, scheduler, Duration.ofHours(1), 500, 1 << 20);

        LongStream.rangeClosed(1, 1200).forEach(seq -> batcher.add(line(seq, "line " + seq)));

        assertThat(batches).hasSize(2);
        assertThat(batches.get(0)).hasSize(500);
        assertThat(batches.get(1)).hasSize(500).first().extracting(LogLine::seq).isEqualTo(501L);

        batcher.close();

        assertThat(batches).hasSize(3);
        assertThat(batches.get(2)).hasSize(200).last().extracting(LogLine::seq).isEqualTo(1200L);
    }

    @Test
    void sendsAPartialBatchWhenTheDelayHasPassed() {
        LogBatcher batcher = new LogBatcher(batches::add, scheduler, Duration.ofMillis(200), 500, 1 << 20);

        batcher.add(line(1, "first"));
        batcher.add(line(2, "second"));

        await().atMost(Duration.ofSeconds(5)).until(() -> batches.size() == 1);
        assertThat(batches.getFirst()).extracting(LogLine::text).containsExactly("first", "second");

        batcher.add(line(3, "third"));

        await().atMost(Duration.ofSeconds(5)).until(() -> batches.size() == 2);
        assertThat(batches.get(1)).extracting(LogLine::text).containsExactly("third");
    }

    @Test
    void keepsABatchUnderItsByteBudget() {
        LogBatcher batcher = new LogBatcher(batches::add, scheduler, Duration.ofHours(1), 500, 1000);

        LongStream.rangeClosed(1, 5).forEach(seq -> batcher.add(line(seq, "x".repeat(300))));
        batcher.close();

        assertThat(batches).extracting(List::size).containsExactly(3, 2);
        assertThat(batches.stream().flatMap(List::stream).map(LogLine::seq)).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void cutsVeryLongLines() {
        LogBatcher batcher = new LogBatcher(batches::add, scheduler, Duration.ofHours(1), 500, 1 << 20);

        batcher.add(line(1, "y".repeat(LogBatcher.MAX_LINE_CHARS + 10)));
        batcher.flush();

        String text = batches.getFirst().getFirst().text();
        assertThat(text).startsWith("y".repeat(LogBatcher.MAX_LINE_CHARS)).endsWith(LogBatcher.CUT_MARK);
    }

    @Test
    void dropsLinesAfterCloseAndSendsNoEmptyBatches() {
        LogBatcher batcher = new LogBatcher(batches::add, scheduler, Duration.ofMillis(10), 500, 1 << 20);

        batcher.flush();
        batcher.close();
        batcher.add(line(1, "late"));

        assertThat(batches).isEmpty();
    }

    private static LogLine line(long seq, String text) {
        return new LogLine(seq, Instant.EPOCH, LogStream.STDOUT, text);
    }
}
