package dev.taskmesh.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The password of the user {@code admin}, and where it came from. The registry creates {@code admin} with it
 * when the user does not exist yet; it never changes an existing user's password.
 *
 * @param value  the password
 * @param source where it came from, for the start-up message
 * @param file   the file that keeps a generated password
 */
record AdminPassword(String value, Source source, Path file) {

    static final String ENV = "TASKMESH_ADMIN_PASSWORD";
    static final String FILE_NAME = "admin-password";

    enum Source {
        /** Given in the launcher's configuration (tests). */
        CONFIGURED,
        /** From {@value AdminPassword#ENV}. */
        ENVIRONMENT,
        /** Generated at this start and written to the file. */
        GENERATED,
        /** Generated at an earlier start; read from the file. */
        FILE
    }

    static AdminPassword resolve(@Nullable String configured, Path dataDirectory) {
        Path file = dataDirectory.resolve(FILE_NAME);
        if (configured != null && !configured.isBlank()) {
            return new AdminPassword(configured, Source.CONFIGURED, file);
        }
        String fromEnv = System.getenv(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new AdminPassword(fromEnv, Source.ENVIRONMENT, file);
        }
        if (Files.isRegularFile(file)) {
            try {
                String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (!stored.isEmpty()) {
                    return new AdminPassword(stored, Source.FILE, file);
                }
            } catch (IOException e) {
                throw new PlatformException("Cannot read the admin password from " + file + ": " + e.getMessage(), e);
            }
        }
        String generated = Secrets.password(20);
        Secrets.writeOwnerOnly(file, generated + "\n");
        return new AdminPassword(generated, Source.GENERATED, file);
    }

    @Override
    public String toString() {
        return "AdminPassword[source=" + source + ", file=" + file + "]";
    }
}
