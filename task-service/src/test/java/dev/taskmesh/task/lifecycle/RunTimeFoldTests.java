package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Samples folded in memory and written later give the average that one update per sample would have given. */
class RunTimeFoldTests {

    private static final List<Duration> SAMPLES = List.of(Duration.ofMillis(400), Duration.ofSeconds(3),
            Duration.ofMillis(1250), Duration.ofSeconds(10), Duration.ofMillis(20));

    /** The average one update per sample gives: the first sample starts it, each later one moves it by ALPHA. */
    private static double oneByOne(Double start, List<Duration> samples) {
        Double avg = start;
        for (Duration sample : samples) {
            double seconds = sample.toNanos() / 1e9;
            avg = avg == null ? seconds : avg * (1 - RunTimeStats.ALPHA) + seconds * RunTimeStats.ALPHA;
        }
        return avg;
    }

    @Test
    void foldedSamplesMoveAnAverageAsOneUpdateEachWould() {
        RunTimeStats.Fold fold = RunTimeStats.Fold.of(SAMPLES);
        assertThat(fold.samples()).isEqualTo(5);
        assertThat(fold.onto(2.0)).isCloseTo(oneByOne(2.0, SAMPLES), within(1e-12));
        assertThat(fold.onto(null)).as("a new type").isCloseTo(oneByOne(null, SAMPLES), within(1e-12));
    }

    @Test
    void foldsJoinedInTheirOrderEqualOneFoldOfAllTheirSamples() {
        RunTimeStats.Fold joined = RunTimeStats.Fold.of(SAMPLES.subList(0, 2))
                .then(RunTimeStats.Fold.of(SAMPLES.subList(2, 5)));
        assertThat(joined.samples()).isEqualTo(5);
        assertThat(joined.onto(7.5)).isCloseTo(oneByOne(7.5, SAMPLES), within(1e-12));
        assertThat(joined.onto(null)).isCloseTo(oneByOne(null, SAMPLES), within(1e-12));

        RunTimeStats.Fold reversed = RunTimeStats.Fold.of(SAMPLES.subList(2, 5))
                .then(RunTimeStats.Fold.of(SAMPLES.subList(0, 2)));
        assertThat(reversed.onto(7.5)).as("order matters: recent samples weigh most")
                .isNotCloseTo(oneByOne(7.5, SAMPLES), within(1e-6));
    }
}
