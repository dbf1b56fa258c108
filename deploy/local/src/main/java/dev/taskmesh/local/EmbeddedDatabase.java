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

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts PostgreSQL on {@code port} (0: a free one) and creates the database {@value #DATABASE} if missing. */
    static EmbeddedDatabase start(Path dataDirectory, int port) {
        EmbeddedPostgres postgres;
        try {
            Files.createDirectories(dataDirectory);
            postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPort(port == 0 ? Ports.free() : port)
                    .setServerConfig("listen_addresses", LocalPlatformConfig.LOOPBACK)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
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
