package dev.taskmesh.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The platform's PostgreSQL: real binaries (from Maven Central, through zonky), data kept in a folder between
 * runs, listening on loopback only. The services share one database, each in its own schema.
 */
final class EmbeddedDatabase implements AutoCloseable {

    static final String DATABASE = "taskmesh";
    static final String USER = "postgres";
    /** initdb sets up trust authentication on loopback; the password is there for the JDBC settings only. */
    static final String PASSWORD = "postgres";
    /** How often autovacuum looks at the database (PostgreSQL's default: a minute). */
    static final String AUTOVACUUM_NAPTIME = "10s";

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts PostgreSQL on {@code port} (0: a free one) and creates the database {@value #DATABASE} if missing.
     *
     * @param durable flush each commit to disk before it is acknowledged. zonky's builder starts PostgreSQL with
     *                {@code fsync}, {@code synchronous_commit} and {@code full_page_writes} off, made for tests: a
     *                crash of PostgreSQL would lose the last acknowledged commits, and one of the machine could
     *                leave the data folder corrupt. Durable is PostgreSQL's own default.
     */
    static EmbeddedDatabase start(Path dataDirectory, int port, boolean durable) {
        EmbeddedPostgres postgres;
        try {
            Files.createDirectories(dataDirectory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPort(port == 0 ? Ports.free() : port)
                    .setServerConfig("listen_addresses", LocalPlatformConfig.LOOPBACK)
                    // autovacuum looks at each database every 10 s instead of every minute: the queue's indexes keep
                    // an entry for every claimed task until a vacuum (task-service migration V7), and claims read
                    // past them; after a burst, round trips were 70 % slower until the vacuum (docs/operations.md)
                    .setServerConfig("autovacuum_naptime", AUTOVACUUM_NAPTIME)
                    .setPGStartupWait(Duration.ofSeconds(60));
            if (durable) {
                builder.setServerConfig("fsync", "on")
                        .setServerConfig("synchronous_commit", "on")
                        .setServerConfig("full_page_writes", "on");
            }
            postgres = builder.start();
        } catch (IOException | RuntimeException e) {
            throw new PlatformException("Cannot start PostgreSQL in " + dataDirectory + ": " + e.getMessage()
                    + " (is another Taskmesh using this data directory? Its postmaster.pid names the process.)", e);
        }
        var database = new EmbeddedDatabase(postgres);
        try {
            database.createDatabaseIfMissing();
        } catch (SQLException | RuntimeException e) {
            database.close();
            throw new PlatformException("Cannot create the database " + DATABASE + ": " + e.getMessage(), e);
        }
        return database;
    }

    String jdbcUrl() {
        return postgres.getJdbcUrl(USER, DATABASE);
    }

    int port() {
        return postgres.getPort();
    }

    private void createDatabaseIfMissing() throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection()) {
            try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                exists.setString(1, DATABASE);
                try (ResultSet rows = exists.executeQuery()) {
                    if (rows.next()) {
                        return;
                    }
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + DATABASE);
            }
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new PlatformException("Cannot stop PostgreSQL: " + e.getMessage(), e);
        }
    }
}
