package dev.taskmesh.agent.connection;

import dev.taskmesh.agent.execution.OutputFiles.LocalFile;
import dev.taskmesh.contract.agent.OutputFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads an attempt's output files and log to the result-service (through the gateway) with {@code PUT}, streamed
 * from disk, each call tried up to 3 times with backoff.
 */
public final class OutputUploader {

    /** Thrown when an upload finally failed; {@link #uploaded()} lists what did arrive. */
    public static final class UploadException extends Exception {

        private final boolean retryable;
        private final List<OutputFile> uploaded;

        UploadException(String message, boolean retryable, List<OutputFile> uploaded) {
            super(message);
            this.retryable = retryable;
            this.uploaded = List.copyOf(uploaded);
        }

        /** False when sending the same outputs again cannot work (400, 413). */
        public boolean retryable() {
            return retryable;
        }

        public List<OutputFile> uploaded() {
            return uploaded;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(OutputUploader.class);
    private static final int TRIES = 3;
    private static final Duration REQUEST_LIMIT = Duration.ofMinutes(30);

    private final HttpClient http;
    private final ServerAddress server;
    private final TokenSource tokens;
    private final Duration firstRetryDelay;

    public OutputUploader(HttpClient http, ServerAddress server, TokenSource tokens, Duration firstRetryDelay) {
        this.http = http;
        this.server = server;
        this.tokens = tokens;
        this.firstRetryDelay = firstRetryDelay;
    }

    /**
     * Uploads every file, then the log unless it is empty or missing (an attempt that printed nothing has no log to
     * read: the platform shows an empty log either way, and a short task saves a request).
     *
     * @param logFile the attempt's log, or null when it kept none (it never wrote to disk)
     * @return the uploaded files, for the completion
     * @throws UploadException when a file or the log could not be uploaded after all tries
     */
    public List<OutputFile> upload(UUID taskId, int attempt, List<LocalFile> files,
                                   @Nullable Path logFile)
            throws UploadException, InterruptedException {
        List<OutputFile> uploaded = new ArrayList<>();
        for (LocalFile file : files) {
            put(server.attemptFileUri(taskId, attempt, file.name()), file.path(), "application/octet-stream",
                    file.name(), uploaded);
            uploaded.add(file.toOutputFile());
        }
        if (logFile != null && hasContent(logFile)) {
            put(server.attemptLogUri(taskId, attempt), logFile, "text/plain; charset=utf-8", "the log", uploaded);
        }
        return List.copyOf(uploaded);
    }

    /** 0 for a missing file: most short tasks never write a log, and an exception per task would cost more. */
    private static boolean hasContent(Path file) {
        return file.toFile().length() > 0;
    }

    private void put(URI uri, Path file, String contentType, String what, List<OutputFile> uploaded)
            throws UploadException, InterruptedException {
        Duration delay = firstRetryDelay;
        String lastProblem = "";
        for (int attempt = 1; attempt <= TRIES; attempt++) {
            if (attempt > 1) {
                Thread.sleep(delay);
                delay = delay.multipliedBy(2);
            }
            try {
                String token = attempt > 1 && lastProblem.startsWith("HTTP 401") ? tokens.refresh() : tokens.current();
                HttpRequest request = HttpRequest.newBuilder(uri)
                        .timeout(REQUEST_LIMIT)
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", contentType)
                        .PUT(HttpRequest.BodyPublishers.ofFile(file))
                        .build();
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return;
                }
                lastProblem = "HTTP " + status + excerpt(response.body());
                if (status == 400 || status == 403 || status == 404 || status == 409 || status == 413) {
                    // the server refused this upload for good (bad name, not this worker's attempt, stale, too large)
                    throw new UploadException("could not upload outputs: " + what + ": " + lastProblem,
                            status != 400 && status != 413, uploaded);
                }
            } catch (FileNotFoundException e) {
                throw new UploadException("could not upload outputs: " + what + " vanished: " + e.getMessage(), true,
                        uploaded);
            } catch (IOException e) {
                lastProblem = e.toString();
            }
            log.warn("Upload of {} to {} failed (try {} of {}): {}", what, uri, attempt, TRIES, lastProblem);
        }
        throw new UploadException("could not upload outputs: " + what + ": " + lastProblem, true, uploaded);
    }

    private static String excerpt(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String flat = body.replaceAll("\\s+", " ").strip();
        return " " + (flat.length() > 300 ? flat.substring(0, 300) + "…" : flat);
    }
}
