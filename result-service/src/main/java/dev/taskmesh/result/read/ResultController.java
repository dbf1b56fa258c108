package dev.taskmesh.result.read;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.result.attempt.StoredFile;
import dev.taskmesh.support.Caller;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.MediaTypeFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** Results for people: every read first asks the task-service, with the caller's token, for the task. */
@RestController
@PreAuthorize("hasAnyRole('USER', 'ADMIN')")
class ResultController {

    /** {@link ApiPaths#TASK_RESULT_FILE}, where the name may hold {@code /}-separated folders. */
    static final String RESULT_FILE = ApiPaths.TASK_RESULT + "/files/{*name}";
    static final String RESULT_LOG = ApiPaths.TASK_RESULT + "/log";
    private static final MediaType TEXT_UTF8 = new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8);

    private final TaskServiceClient tasks;
    private final Results results;

    ResultController(TaskServiceClient tasks, Results results) {
        this.tasks = tasks;
        this.results = results;
    }

    @GetMapping(ApiPaths.TASK_RESULT)
    TaskResult result(@PathVariable UUID taskId, Caller caller) {
        return results.resultOf(tasks.task(taskId, caller));
    }

    /** The file, with its SHA-256 as ETag (so If-None-Match answers 304) and Range support for resumed downloads. */
    @GetMapping(RESULT_FILE)
    ResponseEntity<Resource> file(@PathVariable UUID taskId, @PathVariable String name, Caller caller) {
        String relative = name.startsWith("/") ? name.substring(1) : name;
        StoredFile file = results.file(tasks.task(taskId, caller), relative);
        String fileName = relative.substring(relative.lastIndexOf('/') + 1);
        return ResponseEntity.ok()
                .contentType(MediaTypeFactory.getMediaType(fileName).orElse(MediaType.APPLICATION_OCTET_STREAM))
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment()
                        .filename(fileName, StandardCharsets.UTF_8).build().toString())
                .eTag(file.sha256())
                .contentLength(file.size())
                .body(new FileSystemResource(results.pathOf(file)));
    }

    @GetMapping(RESULT_LOG)
    ResponseEntity<Resource> log(@PathVariable UUID taskId, Caller caller) {
        Resource log = results.logOf(tasks.task(taskId, caller))
                .<Resource>map(FileSystemResource::new)
                .orElseGet(() -> new ByteArrayResource(new byte[0]));
        return ResponseEntity.ok().contentType(TEXT_UTF8).body(log);
    }

    /** A zip of the recorded attempt's files and log, written straight to the response as it is built. */
    @GetMapping(ApiPaths.TASK_RESULT_ARCHIVE)
    void archive(@PathVariable UUID taskId, Caller caller, HttpServletResponse response) throws IOException {
        TaskSnapshot task = tasks.task(taskId, caller);
        response.setContentType("application/zip");
        response.setHeader(HttpHeaders.CONTENT_DISPOSITION,
                ContentDisposition.attachment().filename("task-" + taskId + ".zip").build().toString());
        results.writeArchive(task, response.getOutputStream());
    }
}
