package dev.taskmesh.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's PostgreSQL flushes every commit to disk unless told not to: what the platform acknowledged survives
 * a crash of PostgreSQL or of the machine. Autovacuum looks at it every 10 s, durable or not.
 */
class EmbeddedDatabaseIT {

    private static final String[] SETTINGS = {"fsync", "synchronous_commit", "full_page_writes", "autovacuum_naptime"};

    @Test
    void flushesEveryCommitByDefault(@TempDir Path data) throws SQLException {
        assertThat(settings(data, LocalPlatformConfig.of(data, data, 0).durableDatabase()))
                .containsExactly(Map.entry("fsync", "on"), Map.entry("synchronous_commit", "on"),
                        Map.entry("full_page_writes", "on"), Map.entry("autovacuum_naptime", "10s"));
    }

    @Test
    void skipsTheFlushOnlyWhenAsked(@TempDir Path data) throws SQLException {
        // what the benchmark asks for, to compare with peers that keep nothing on disk
        assertThat(settings(data, false)).containsEntry("fsync", "off").containsEntry("synchronous_commit", "off")
                .containsEntry("autovacuum_naptime", "10s");
    }

    private static Map<String, String> settings(Path data, boolean durable) throws SQLException {
        Map<String, String> values = new LinkedHashMap<>();
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("postgres"), 0, durable);
             Connection connection = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER,
                     EmbeddedDatabase.PASSWORD);
             Statement statement = connection.createStatement()) {
            for (String name : SETTINGS) {
                try (ResultSet rows = statement.executeQuery("SHOW " + name)) {
                    rows.next();
                    values.put(name, rows.getString(1));
                }
            }
        }
        return values;
    }
}
