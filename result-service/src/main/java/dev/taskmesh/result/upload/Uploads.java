package dev.taskmesh.result.upload;

import dev.taskmesh.contract.agent.OutputFile;
import dev.taskmesh.result.ResultsProperties;
import dev.taskmesh.result.attempt.OutputNames;
import dev.taskmesh.result.attempt.ResultStorage;
import dev.taskmesh.result.attempt.ResultStorage.Received;
import dev.taskmesh.support.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.unit.DataSize;

/**
 * Stores what agents upload. The body is streamed to a temporary file outside any transaction (it may take
 * minutes), then one short transaction claims the attempt, writes the metadata and moves the file into place:
 * when the move fails the row is rolled back, so a row always has its file.
 *
 * <p>Plain SQL, two statements per upload (claim, then the file's upsert or the log's update): uploads come once or
 * twice per task, and the entities' read-modify-write cost several statements each.
 */
@Service
class Uploads {

    /** Bodies up to this size are read before the claim is checked: refusing them early saves nothing. */
    private static final long SMALL_BODY = 64 * 1024;

    private final JdbcTemplate jdbc;
    private final ResultStorage storage;
    private final ResultsProperties properties;
    private final TransactionTemplate transaction;
    private final Counter uploaded;
    private final DistributionSummary fileSizes;

    Uploads(JdbcTemplate jdbc, ResultStorage storage, ResultsProperties properties,
            PlatformTransactionManager transactionManager, MeterRegistry registry) {
        this.jdbc = jdbc;
        this.storage = storage;
        this.properties = properties;
        this.transaction = new TransactionTemplate(transactionManager);
        this.uploaded = Counter.builder("taskmesh.results.files.uploaded")
                .description("Output files stored")
                .register(registry);
        this.fileSizes = DistributionSummary.builder("taskmesh.results.file.size")
                .description("Size of stored output files")
                .baseUnit("bytes")
                .register(registry);
    }

    OutputFile uploadFile(UUID taskId, int attempt, String workerId, String name, @Nullable Long contentLength,
                          InputStream body) throws IOException {
        OutputNames.check(name);
        Path target = storage.fileOf(taskId, attempt, name);
        checkBeforeReading(taskId, attempt, workerId, contentLength, properties.maxFileSize());
        Received received = storage.receive(body, properties.maxFileSize());
        try {
            transaction.executeWithoutResult(status -> {
                claim(taskId, attempt, workerId);
                // the row stays locked until the commit, so concurrent uploads of one name replace file and row
                // together, one after the other
                jdbc.update("""
                        INSERT INTO results.output_files
                               (task_id, attempt, worker_id, name, size, sha256, stored_at, version)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                        ON CONFLICT (task_id, attempt, name) DO UPDATE
                           SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256, stored_at = EXCLUDED.stored_at,
                               version = output_files.version + 1""",
                        taskId, attempt, workerId, name, received.size(), received.sha256(), now());
                moveIntoPlace(received, target, name);
            });
        } finally {
            storage.discard(received);
        }
        uploaded.increment();
        fileSizes.record(received.size());
        return new OutputFile(name, received.size(), received.sha256());
    }

    void uploadLog(UUID taskId, int attempt, String workerId, @Nullable Long contentLength, InputStream body)
            throws IOException {
        checkBeforeReading(taskId, attempt, workerId, contentLength, properties.maxLogSize());
        Received received = storage.receive(body, properties.maxLogSize());
        try {
            transaction.executeWithoutResult(status -> {
                claim(taskId, attempt, workerId);
                // the update locks the attempt, so that concurrent log uploads move their file and set the size one
                // after the other
                jdbc.update("""
                        UPDATE results.attempts SET log_size = ?, log_stored_at = ?, version = version + 1
                        WHERE task_id = ? AND attempt = ?""", received.size(), now(), taskId, attempt);
                moveIntoPlace(received, storage.logOf(taskId, attempt), "log");
            });
        } finally {
            storage.discard(received);
        }
    }

    /** Refuses what can be refused before a byte of the body is read. */
    private void checkBeforeReading(UUID taskId, int attempt, String workerId, @Nullable Long contentLength,
                                    DataSize limit) {
        if (attempt < 1) {
            throw ApiException.badRequest("Attempt numbers start at 1, got " + attempt);
        }
        if (contentLength != null && contentLength > limit.toBytes()) {
            throw ApiException.payloadTooLarge("Body of " + contentLength + " bytes is larger than the limit of "
                    + limit);
        }
        if (contentLength == null || contentLength > SMALL_BODY) {
            claimant(taskId, attempt).ifPresent(claimant -> requireOwnClaim(taskId, attempt, claimant, workerId));
        }
    }

    /** Claims the attempt for the worker unless another did; exactly one worker wins a race (the unique key). */
    private void claim(UUID taskId, int attempt, String workerId) {
        Optional<String> claimant = first(jdbc.queryForList("""
                INSERT INTO results.attempts (task_id, attempt, worker_id, claimed_at, version) VALUES (?, ?, ?, ?, 0)
                ON CONFLICT (task_id, attempt) DO NOTHING
                RETURNING worker_id""", String.class, taskId, attempt, workerId, now()));
        if (claimant.isEmpty()) {
            // claimed before: this statement sees the claim, whenever it was committed
            claimant = claimant(taskId, attempt);
        }
        requireOwnClaim(taskId, attempt, claimant.orElseThrow(), workerId);
    }

    private Optional<String> claimant(UUID taskId, int attempt) {
        return first(jdbc.queryForList("SELECT worker_id FROM results.attempts WHERE task_id = ? AND attempt = ?",
                String.class, taskId, attempt));
    }

    private static void requireOwnClaim(UUID taskId, int attempt, String claimant, String workerId) {
        if (!claimant.equals(workerId)) {
            throw ApiException.conflict("Attempt " + attempt + " of task " + taskId
                    + " already has uploads from another worker");
        }
    }

    private static OffsetDateTime now() {
        return Instant.now().atOffset(ZoneOffset.UTC);
    }

    private static <T> Optional<T> first(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
    }

    private void moveIntoPlace(Received received, Path target, String name) {
        try {
            storage.moveIntoPlace(received, target);
        } catch (FileSystemException e) {
            // e.g. "a/b" after a file "a", or "a" after a folder "a/"
            throw ApiException.conflict("'" + name + "' clashes with an existing file or folder of this attempt");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
