package dev.taskmesh.result.attempt;

import dev.taskmesh.result.ResultsProperties;
import dev.taskmesh.support.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

/**
 * The bytes of results on disk: {@code <storage-dir>/<taskId>/<attempt>/files/<name>} and
 * {@code <storage-dir>/<taskId>/<attempt>/log.txt}. Bodies are streamed into {@code <storage-dir>/.incoming} first
 * and moved into place atomically, so a reader never sees half a file.
 */
@Component
public class ResultStorage {

    private static final int BUFFER_SIZE = 64 * 1024;

    private final Path root;
    private final Path incoming;

    public ResultStorage(ResultsProperties properties) throws IOException {
        this.root = properties.storageDir().toAbsolutePath().normalize();
        // same file system as the final places, so the move can be atomic
        this.incoming = Files.createDirectories(root.resolve(".incoming"));
    }

    /** A body written to a temporary file, with its size and SHA-256. */
    public record Received(Path file, long size, String sha256) {
    }

    public Path filesDir(UUID taskId, int attempt) {
        return attemptDir(taskId, attempt).resolve("files");
    }

    /** Where an output file lives; {@code name} is a checked relative name, re-checked here to stay inside. */
    public Path fileOf(UUID taskId, int attempt, String name) {
        Path dir = filesDir(taskId, attempt);
        Path file = dir.resolve(name).normalize();
        if (!file.startsWith(dir) || file.equals(dir)) {
            throw ApiException.badRequest("File name leaves the attempt's folder: " + name);
        }
        return file;
    }

    public Path logOf(UUID taskId, int attempt) {
        return attemptDir(taskId, attempt).resolve("log.txt");
    }

    private Path attemptDir(UUID taskId, int attempt) {
        return root.resolve(taskId.toString()).resolve(Integer.toString(attempt));
    }

    /**
     * Streams {@code body} into a new temporary file, counting and hashing on the way. Past {@code limit} the
     * temporary file is deleted and 413 is thrown; nothing stays behind on any failure.
     */
    public Received receive(InputStream body, DataSize limit) throws IOException {
        long max = limit.toBytes();
        MessageDigest sha256 = sha256();
        Path temp = Files.createTempFile(incoming, "upload-", ".part");
        try {
            long size = 0;
            try (OutputStream out = Files.newOutputStream(temp)) {
                byte[] buffer = new byte[BUFFER_SIZE];
                for (int n = body.read(buffer); n >= 0; n = body.read(buffer)) {
                    size += n;
                    if (size > max) {
                        throw ApiException.payloadTooLarge("Body is larger than the limit of " + limit);
                    }
                    sha256.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            return new Received(temp, size, HexFormat.of().formatHex(sha256.digest()));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** Moves a received file to its place, atomically replacing an earlier version. */
    public void moveIntoPlace(Received received, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Files.move(received.file(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Deletes a received file that was not moved into place (e.g. the upload was refused). */
    public void discard(Received received) throws IOException {
        Files.deleteIfExists(received.file());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM has SHA-256", e);
        }
    }
}
