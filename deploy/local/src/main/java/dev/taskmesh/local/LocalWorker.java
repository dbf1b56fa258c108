package dev.taskmesh.local;

import dev.taskmesh.contract.WireJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.core.JacksonException;

/**
 * The identity of the local worker agent, created through the API on the first start and kept in
 * {@code <data>/local-worker.json} (mode 600) for the next ones.
 *
 * @param id    the worker's id
 * @param token its secret token ({@code tmw_…}), shown by the registry only once
 */
public record LocalWorker(String id, String token) {

    static final String FILE_NAME = "local-worker.json";

    static Optional<LocalWorker> load(Path dataDirectory) {
        Path file = dataDirectory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            LocalWorker worker = WireJson.mapper().readValue(Files.readString(file, StandardCharsets.UTF_8),
                    LocalWorker.class);
            return worker.id() == null || worker.token() == null ? Optional.empty() : Optional.of(worker);
        } catch (IOException | JacksonException e) {
            // an unreadable file is replaced by a new worker rather than blocking the start
            return Optional.empty();
        }
    }

    void save(Path dataDirectory) {
        Secrets.writeOwnerOnly(dataDirectory.resolve(FILE_NAME), WireJson.mapper().writeValueAsString(this) + "\n");
    }

    @Override
    public String toString() {
        return "LocalWorker[id=" + id + "]";
    }
}
