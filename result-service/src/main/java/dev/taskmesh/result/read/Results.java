package dev.taskmesh.result.read;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.result.ResultsProperties;
import dev.taskmesh.result.attempt.Attempt;
import dev.taskmesh.result.attempt.AttemptRepository;
import dev.taskmesh.result.attempt.OutputNames;
import dev.taskmesh.result.attempt.ResultStorage;
import dev.taskmesh.result.attempt.StoredFile;
import dev.taskmesh.result.attempt.StoredFileRepository;
import dev.taskmesh.result.read.TaskResult.ResultFile;
import dev.taskmesh.support.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;
import org.springframework.web.util.UriUtils;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the recorded attempt of a task uploaded: the task's current attempt, and only the uploads of that attempt's
 * worker, so a stale attempt's or a stranger's uploads are never shown.
 */
@Service
class Results {

    /** How much of the log the result JSON carries; the whole log is a download. */
    static final int LOG_TAIL_BYTES = 1024 * 1024;
    static final String ARCHIVE_LOG = "log.txt";

    private final AttemptRepository attempts;
    private final StoredFileRepository files;
    private final ResultStorage storage;
    private final ResultsProperties properties;
    private final ObjectReader outputReader;
    private final ObjectWriter outputWriter;

    Results(AttemptRepository attempts, StoredFileRepository files, ResultStorage storage,
            ResultsProperties properties, JsonMapper jsonMapper) {
        this.attempts = attempts;
        this.files = files;
        this.storage = storage;
        this.properties = properties;
        this.outputReader = jsonMapper.readerFor(JsonNode.class)
                .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.outputWriter = jsonMapper.writer();
    }

    TaskResult resultOf(TaskSnapshot task) {
        List<StoredFile> stored = filesOf(task);
        List<ResultFile> listed = stored.stream()
                .map(f -> new ResultFile(f.name(), f.size(), f.sha256(), urlOf(task, f.name())))
                .toList();
        Output output = task.output() != null ? new Output(task.output(), null)
                : stored.stream().filter(f -> f.name().equals(ApiPaths.RESULT_JSON)).findFirst()
                        .map(this::readOutput)
                        .orElse(new Output(null, null));
        LogTail log = recordedAttempt(task).filter(Attempt::hasLog)
                .map(a -> readTail(storage.logOf(a.taskId(), a.number())))
                .orElse(new LogTail("", false));
        return new TaskResult(task.id(), task.status(), task.attempt(), task.workerId(), output.json(),
                output.error(), listed, log.text(), log.truncated());
    }

    /** The recorded attempt's file of that name; 404 when it has none. */
    StoredFile file(TaskSnapshot task, String name) {
        OutputNames.check(name);
        return recordedAttempt(task)
                .flatMap(a -> files.findByTaskIdAndAttemptAndWorkerIdAndName(a.taskId(), a.number(), a.workerId(),
                        name))
                .orElseThrow(() -> ApiException.notFound("Task " + task.id() + " has no output file '" + name + "'"));
    }

    Path pathOf(StoredFile file) {
        return storage.fileOf(file.taskId(), file.attempt(), file.name());
    }

    /** The recorded attempt's log file, if one was uploaded. */
    Optional<Path> logOf(TaskSnapshot task) {
        return recordedAttempt(task).filter(Attempt::hasLog).map(a -> storage.logOf(a.taskId(), a.number()));
    }

    /**
     * Streams a zip of the recorded attempt's files, its output JSON as {@code result.json} when it came with the
     * completion, and its log ({@value #ARCHIVE_LOG}, when uploaded).
     */
    void writeArchive(TaskSnapshot task, OutputStream out) throws IOException {
        List<StoredFile> stored = filesOf(task);
        Optional<Path> log = logOf(task);
        Set<String> names = stored.stream().map(StoredFile::name).collect(Collectors.toSet());
        // an output file may itself be called log.txt; the log then steps aside
        String logEntry = names.contains(ARCHIVE_LOG) ? "attempt-" + ARCHIVE_LOG : ARCHIVE_LOG;
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (StoredFile file : stored) {
                ZipEntry entry = new ZipEntry(file.name());
                entry.setLastModifiedTime(FileTime.from(file.storedAt()));
                zip.putNextEntry(entry);
                Files.copy(pathOf(file), zip);
                zip.closeEntry();
            }
            if (task.output() != null && !names.contains(ApiPaths.RESULT_JSON)) {
                // the output JSON that came with the completion is the archive's result.json, as if uploaded
                zip.putNextEntry(new ZipEntry(ApiPaths.RESULT_JSON));
                zip.write(outputWriter.writeValueAsBytes(task.output()));
                zip.closeEntry();
            }
            if (log.isPresent()) {
                zip.putNextEntry(new ZipEntry(logEntry));
                Files.copy(log.get(), zip);
                zip.closeEntry();
            }
        }
    }

    private List<StoredFile> filesOf(TaskSnapshot task) {
        return recordedAttempt(task)
                .map(a -> files.findByTaskIdAndAttemptAndWorkerIdOrderByName(a.taskId(), a.number(), a.workerId()))
                .orElse(List.of());
    }

    /** The task's current attempt, if its current worker uploaded anything for it. */
    private Optional<Attempt> recordedAttempt(TaskSnapshot task) {
        String workerId = task.workerId();
        if (workerId == null || task.attempt() < 1) {
            return Optional.empty();
        }
        return attempts.find(task.id(), task.attempt()).filter(a -> a.workerId().equals(workerId));
    }

    private static String urlOf(TaskSnapshot task, String name) {
        return ApiPaths.TASKS + "/" + task.id() + "/result/files/" + UriUtils.encodePath(name, StandardCharsets.UTF_8);
    }

    private record Output(@Nullable JsonNode json, @Nullable String error) {
    }

    private Output readOutput(StoredFile file) {
        long limit = properties.maxOutputJsonSize().toBytes();
        if (file.size() > limit) {
            return new Output(null, ApiPaths.RESULT_JSON + " is " + file.size() + " bytes, more than the "
                    + properties.maxOutputJsonSize() + " shown inline; download it from files");
        }
        try (InputStream in = Files.newInputStream(pathOf(file))) {
            JsonNode json = outputReader.readValue(in);
            if (json == null || json.isMissingNode()) {
                return new Output(null, ApiPaths.RESULT_JSON + " is empty");
            }
            return new Output(json, null);
        } catch (JacksonException e) {
            return new Output(null, ApiPaths.RESULT_JSON + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record LogTail(String text, boolean truncated) {
    }

    private static LogTail readTail(Path log) {
        try (FileChannel channel = FileChannel.open(log)) {
            long size = channel.size();
            long start = Math.max(0, size - LOG_TAIL_BYTES);
            ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
            channel.position(start);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read until the buffer is full
            }
            byte[] bytes = buffer.array();
            int from = 0;
            // a cut may fall inside a UTF-8 sequence: skip its continuation bytes rather than show a broken char
            while (start > 0 && from < bytes.length && (bytes[from] & 0xC0) == 0x80) {
                from++;
            }
            return new LogTail(new String(bytes, from, buffer.position() - from, StandardCharsets.UTF_8), start > 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
