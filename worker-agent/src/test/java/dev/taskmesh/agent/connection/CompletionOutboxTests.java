package dev.taskmesh.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskCompletions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class CompletionOutboxTests {

    private static TaskCompletion completion(@Nullable String error) {
        return new TaskCompletion(UUID.randomUUID(), 1, error == null ? Outcome.SUCCEEDED : Outcome.FAILED, 0, error,
                false, List.of(), Instant.now(), null, null);
    }

    @Test
    void aCompletionAloneGoesAtOnceInAFrameOfItsOwn() {
        List<List<TaskCompletion>> frames = new ArrayList<>();
        CompletionOutbox outbox = new CompletionOutbox(frames::add);
        TaskCompletion first = completion(null);
        TaskCompletion second = completion(null);

        outbox.send(first);
        outbox.send(second);

        assertThat(frames).containsExactly(List.of(first), List.of(second));
    }

    @Test
    void completionsQueuedWhileAFrameIsSentGoTogetherInTheNext() throws Exception {
        List<List<TaskCompletion>> frames = new CopyOnWriteArrayList<>();
        CountDownLatch sending = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletionOutbox outbox = new CompletionOutbox(frame -> {
            frames.add(frame);
            if (frames.size() == 1) {
                sending.countDown();
                await(release);
            }
            return true;
        });
        TaskCompletion first = completion(null);
        Thread sender = Thread.ofPlatform().start(() -> outbox.send(first));
        await(sending);

        // the first frame is being written: these only queue, and their threads go on at once
        List<TaskCompletion> queued = IntStream.range(0, 5).mapToObj(i -> completion(null)).toList();
        queued.forEach(outbox::send);
        assertThat(frames).hasSize(1);
        release.countDown();
        sender.join(10_000);

        assertThat(frames).containsExactly(List.of(first), queued);
    }

    @Test
    void keepsEachFrameWithinItsCountAndSize() throws Exception {
        List<List<TaskCompletion>> frames = new CopyOnWriteArrayList<>();
        CountDownLatch sending = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletionOutbox outbox = new CompletionOutbox(frame -> {
            frames.add(frame);
            if (frames.size() == 1) {
                sending.countDown();
                await(release);
            }
            return true;
        });
        Thread sender = Thread.ofPlatform().start(() -> outbox.send(completion(null)));
        await(sending);
        List<TaskCompletion> small = IntStream.range(0, 300).mapToObj(i -> completion(null)).toList();
        // an error of 30,000 characters may take 180,000 bytes: two fit within the 512 KiB of a frame, three do not
        List<TaskCompletion> large = IntStream.range(0, 3).mapToObj(i -> completion("e".repeat(30_000))).toList();
        small.forEach(outbox::send);
        large.forEach(outbox::send);
        release.countDown();
        sender.join(10_000);

        assertThat(frames).extracting(List::size).containsExactly(1, TaskCompletions.MAX_COMPLETIONS, 46, 1);
        assertThat(frames.get(2)).endsWith(large.get(0), large.get(1));
        assertThat(frames.get(3)).containsExactly(large.get(2));
        assertThat(frames.stream().skip(1).flatMap(List::stream).toList())
                .containsExactlyElementsOf(concat(small, large));
    }

    private static List<TaskCompletion> concat(List<TaskCompletion> a, List<TaskCompletion> b) {
        List<TaskCompletion> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
