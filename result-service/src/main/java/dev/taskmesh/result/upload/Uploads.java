package dev.taskmesh.result.upload;

import dev.taskmesh.contract.agent.OutputFile;
import dev.taskmesh.result.ResultsProperties;
import dev.taskmesh.result.attempt.Attempt;
import dev.taskmesh.result.attempt.AttemptRepository;
import dev.taskmesh.result.attempt.OutputNames;
import dev.taskmesh.result.attempt.ResultStorage;
import dev.taskmesh.result.attempt.ResultStorage.Received;
import dev.taskmesh.result.attempt.StoredFile;
import dev.taskmesh.result.attempt.StoredFileRepository;
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
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.unit.DataSize;

/**
 * Stores what agents upload. The body is streamed to a temporary file outside any transaction (it may take
 * minutes), then one short transaction claims the attempt, writes the metadata and moves the file into place:
 * when the move fails the row is rolled back, so a row always has its file.
 */
@Service
class Uploads {

    private final AttemptRepository attempts;
    private final StoredFileRepository files;
    private final ResultStorage storage;
    private final ResultsProperties properties;
    private final TransactionTemplate transaction;
    private final Counter uploaded;
    private final DistributionSummary fileSizes;

    Uploads(AttemptRepository attempts, StoredFileRepository files, ResultStorage storage,
            ResultsProperties properties, PlatformTransactionManager transactionManager, MeterRegistry registry) {
        this.attempts = attempts;
        this.files = files;
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
                Instant now = Instant.now();
                try {
                    files.findForUpdate(taskId, attempt, name).ifPresentOrElse(
                            file -> file.replaced(received.size(), received.sha256(), now),
                            () -> files.save(new StoredFile(taskId, attempt, workerId, name, received.size(),
                                    received.sha256(), now)));
                    files.flush();
                } catch (DataIntegrityViolationException e) {
                    throw ApiException.conflict("File '" + name + "' is being uploaded concurrently; try again");
                }
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
                // locked, so that concurrent log uploads move their file and set the size one after the other
                Attempt claimed = attempts.findForUpdate(taskId, attempt).orElseThrow();
                claimed.logStored(received.size(), Instant.now());
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
        attempts.find(taskId, attempt).ifPresent(claimed -> requireOwnClaim(claimed, workerId));
        if (contentLength != null && contentLength > limit.toBytes()) {
            throw ApiException.payloadTooLarge("Body of " + contentLength + " bytes is larger than the limit of "
                    + limit);
        }
    }

    private void claim(UUID taskId, int attempt, String workerId) {
        attempts.claimIfUnclaimed(taskId, attempt, workerId, Instant.now());
        requireOwnClaim(attempts.find(taskId, attempt).orElseThrow(), workerId);
    }

    private static void requireOwnClaim(Attempt claimed, String workerId) {
        if (!claimed.workerId().equals(workerId)) {
            throw ApiException.conflict("Attempt " + claimed.number() + " of task " + claimed.taskId()
                    + " already has uploads from another worker");
        }
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
