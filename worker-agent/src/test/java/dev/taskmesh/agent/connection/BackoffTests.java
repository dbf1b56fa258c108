package dev.taskmesh.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTests {

    @Test
    void doublesFromOneSecondUpToThirtyWithJitter() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new Random(42));

        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            delays.add(backoff.next().toMillis());
        }

        long[] bases = {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000};
        for (int i = 0; i < bases.length; i++) {
            assertThat(delays.get(i)).as("delay %d", i)
                    .isBetween(Math.round(bases[i] * 0.8), bases[i]);
        }
        assertThat(delays.subList(5, 10)).as("jitter spreads the capped delays").doesNotHaveDuplicates();
    }

    @Test
    void startsAgainAfterReset() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new Random(1));
        for (int i = 0; i < 6; i++) {
            backoff.next();
        }

        backoff.reset();

        assertThat(backoff.next().toMillis()).isBetween(800L, 1000L);
    }
}
