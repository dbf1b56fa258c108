package dev.taskmesh.result.upload;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.OutputFile;
import dev.taskmesh.support.Caller;
import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Where agents put the outputs of an attempt. Bodies are raw bytes of any content type, read as a stream; the
 * worker id is the token's subject.
 */
@RestController
@PreAuthorize("hasRole('WORKER')")
class UploadController {

    /** {@link ApiPaths#ATTEMPT_OUTPUT_FILE}, where the name may hold {@code /}-separated folders. */
    static final String OUTPUT_FILE = ApiPaths.TASKS + "/{taskId}/attempts/{attempt}/files/{*name}";

    private final Uploads uploads;

    UploadController(Uploads uploads) {
        this.uploads = uploads;
    }

    @PutMapping(OUTPUT_FILE)
    @ResponseStatus(HttpStatus.CREATED)
    OutputFile uploadFile(@PathVariable UUID taskId, @PathVariable int attempt, @PathVariable String name,
                          @RequestHeader(name = HttpHeaders.CONTENT_LENGTH, required = false) @Nullable Long length,
                          InputStream body, Caller caller) throws IOException {
        // a capture-the-rest variable starts with the slash before it
        String relative = name.startsWith("/") ? name.substring(1) : name;
        return uploads.uploadFile(taskId, attempt, caller.id(), relative, length, body);
    }

    @PutMapping(ApiPaths.ATTEMPT_LOG)
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void uploadLog(@PathVariable UUID taskId, @PathVariable int attempt,
                   @RequestHeader(name = HttpHeaders.CONTENT_LENGTH, required = false) @Nullable Long length,
                   InputStream body, Caller caller) throws IOException {
        uploads.uploadLog(taskId, attempt, caller.id(), length, body);
    }
}
