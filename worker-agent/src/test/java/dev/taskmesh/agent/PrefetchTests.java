package dev.taskmesh.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PrefetchTests {

    private static final long MILLI = 1_000_000;

    @Test
    void adaptiveKeepsNoneBeforeItKnowsTheTasks() {
        Prefetch prefetch = Prefetch.adaptive(4);

        assertThat(prefetch.current()).isZero();
        assertThat(prefetch.worthAnnouncing()).isFalse();
    }

    @Test
    void adaptiveKeepsWhatTheSlotsRunInTheWindowAtTheRecentPace() {
        Prefetch prefetch = Prefetch.adaptive(4, Duration.ofMillis(20), 128);

        prefetch.slotHeld(2 * MILLI);

        assertThat(prefetch.current()).as("4 slots x 20 ms / 2 ms").isEqualTo(40);
    }

    @Test
    void adaptiveStopsAtItsCeilingForTheShortestTasks() {
        Prefetch prefetch = Prefetch.adaptive(4, Duration.ofMillis(20), 128);

        prefetch.slotHeld(10_000);

        assertThat(prefetch.current()).isEqualTo(128);
    }

    @Test
    void adaptiveKeepsNoneOnceTasksHoldASlotLongerThanTheWindow() {
        Prefetch prefetch = Prefetch.adaptive(4, Duration.ofMillis(20), 128);
        for (int i = 0; i < 20; i++) {
            prefetch.slotHeld(100_000);
        }
        assertThat(prefetch.current()).isEqualTo(128);

        prefetch.slotHeld(Duration.ofSeconds(30).toNanos());

        assertThat(prefetch.current()).as("one long task is enough to stop prefetching").isZero();
    }

    @Test
    void adaptiveComesBackOnceShortTasksOutweighALongOne() {
        Prefetch prefetch = Prefetch.adaptive(4, Duration.ofMillis(20), 128);
        prefetch.slotHeld(Duration.ofSeconds(1).toNanos());
        assertThat(prefetch.current()).isZero();

        for (int i = 0; i < 40; i++) {
            prefetch.slotHeld(100_000);
        }

        assertThat(prefetch.current()).isEqualTo(128);
    }

    @Test
    void announcesAChangeToOrFromZeroOrOfAQuarterButNotAWobble() {
        Prefetch prefetch = Prefetch.adaptive(4, Duration.ofMillis(20), 128);
        assertThat(prefetch.slotHeld(2 * MILLI)).as("0 -> 40, told by slotHeld").isTrue();
        assertThat(prefetch.worthAnnouncing()).as("0 -> 40").isTrue();
        assertThat(prefetch.announce()).isEqualTo(40);
        assertThat(prefetch.worthAnnouncing()).isFalse();

        assertThat(prefetch.slotHeld(2_400_000)).as("40 -> 38, told by slotHeld").isFalse(); // average 2.08 ms: 38
        assertThat(prefetch.current()).isEqualTo(38);
        assertThat(prefetch.worthAnnouncing()).as("40 -> 38").isFalse();

        for (int i = 0; i < 3; i++) {
            prefetch.slotHeld(4 * MILLI);
        }
        assertThat(prefetch.current()).isLessThanOrEqualTo(30);
        assertThat(prefetch.worthAnnouncing()).as("40 -> a quarter less").isTrue();

        prefetch.announce();
        prefetch.slotHeld(Duration.ofSeconds(5).toNanos());
        assertThat(prefetch.worthAnnouncing()).as("-> 0").isTrue();
    }

    @Test
    void fixedNeverMoves() {
        Prefetch prefetch = Prefetch.fixed(12);

        prefetch.slotHeld(10_000);
        prefetch.slotHeld(Duration.ofMinutes(5).toNanos());

        assertThat(prefetch.current()).isEqualTo(12);
        assertThat(prefetch.worthAnnouncing()).isFalse();
    }

    @Test
    void parsesAutoOrACount() {
        assertThat(Prefetch.parse("auto", 4).current()).isZero();
        assertThat(Prefetch.parse(" AUTO ", 4).toString()).startsWith("auto");
        assertThat(Prefetch.parse("12", 4).current()).isEqualTo(12);
        assertThat(Prefetch.parse("0", 4).current()).isZero();
        assertThatThrownBy(() -> Prefetch.parse("-1", 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 or more");
        assertThatThrownBy(() -> Prefetch.parse("lots", 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto or a count");
    }
}
