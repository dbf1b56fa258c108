package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TaskCursorTests {

    @Test
    void roundTripsCreationTimeToTheMicrosecondAndId() {
        TaskCursor cursor = new TaskCursor(Instant.parse("2026-03-01T12:00:00.123456Z"), UUID.randomUUID());
        String encoded = cursor.encode();
        assertThat(encoded).matches("[A-Za-z0-9_-]+");
        assertThat(TaskCursor.decode(encoded)).isEqualTo(cursor);
        TaskCursor beforeEpoch = new TaskCursor(Instant.parse("1969-12-31T23:59:59.999999Z"), UUID.randomUUID());
        assertThat(TaskCursor.decode(beforeEpoch.encode())).isEqualTo(beforeEpoch);
    }

    @Test
    void refusesWhatIsNotACursor() {
        assertThatIllegalArgumentException().isThrownBy(() -> TaskCursor.decode("not a cursor!"));
        assertThatIllegalArgumentException().isThrownBy(() -> TaskCursor.decode("MjoxOmFiYw"));
        assertThatIllegalArgumentException().isThrownBy(() -> TaskCursor.decode(""));
    }

    @Test
    void recognisesCanonicalUuidPrefixesOnly() {
        assertThat(TaskListSql.isUuidPrefix("7d1c")).isTrue();
        assertThat(TaskListSql.isUuidPrefix("7d1c20e4-9b")).isTrue();
        assertThat(TaskListSql.isUuidPrefix("7d1c20e49b")).isFalse();
        assertThat(TaskListSql.isUuidPrefix("resize")).isFalse();
        assertThat(TaskListSql.isUuidPrefix("")).isFalse();
    }
}
