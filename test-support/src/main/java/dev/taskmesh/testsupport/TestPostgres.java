package dev.taskmesh.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The one way tests get PostgreSQL: the server named by {@value #URL_ENV} (with {@value #USER_ENV} and
 * {@value #PASSWORD_ENV}), else a Testcontainers PostgreSQL when Docker is there, else an embedded PostgreSQL
 * (real binaries from Maven Central). One server per JVM; every caller gets a database of its own, so test
 * classes never see each other's rows.
 */
public final class TestPostgres {

    /** JDBC URL of an external server, e.g. {@code jdbc:postgresql://127.0.0.1:5432/postgres}. */
    public static final String URL_ENV = "TASKMESH_TEST_DATABASE_URL";
    public static final String USER_ENV = "TASKMESH_TEST_DATABASE_USER";
    public static final String PASSWORD_ENV = "TASKMESH_TEST_DATABASE_PASSWORD";

    private static @Nullable Server server;

    /** Where a database lives and how to log in. */
    public record Database(String url, String username, String password) {
    }

    private record Server(String adminUrl, String username, String password) {
        String urlOf(String database) {
            int slash = adminUrl.lastIndexOf('/');
            int query = adminUrl.indexOf('?', slash);
            return adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
        }
    }

    /** Creates a new, empty database on the shared server. */
    public static Database newDatabase() {
        Server s = server();
        String name = "taskmesh_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(s.adminUrl(), s.username(), s.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create test database on " + s.adminUrl(), e);
        }
        return new Database(s.urlOf(name), s.username(), s.password());
    }

    /** Points Spring's datasource at a new database; call from a {@code @DynamicPropertySource} method. */
    public static void registerDataSource(DynamicPropertyRegistry registry) {
        Database db = newDatabase();
        registry.add("spring.datasource.url", db::url);
        registry.add("spring.datasource.username", db::username);
        registry.add("spring.datasource.password", db::password);
    }

    private static synchronized Server server() {
        if (server == null) {
            server = startServer();
        }
        return server;
    }

    private static Server startServer() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            return new Server(url, envOr(USER_ENV, "postgres"), envOr(PASSWORD_ENV, "postgres"));
        }
        if (dockerAvailable()) {
            var container = new PostgreSQLContainer("postgres:16-alpine");
            container.start();
            return new Server(container.getJdbcUrl(), container.getUsername(), container.getPassword());
        }
        try {
            EmbeddedPostgres embedded = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(embedded)));
            return new Server(embedded.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start embedded PostgreSQL", e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void closeQuietly(EmbeddedPostgres embedded) {
        try {
            embedded.close();
        } catch (IOException ignored) {
            // the JVM is exiting; the data directory is a temporary one
        }
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private TestPostgres() {
    }
}
