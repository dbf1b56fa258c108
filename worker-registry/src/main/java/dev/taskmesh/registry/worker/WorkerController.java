package dev.taskmesh.registry.worker;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Registered workers. Admins manage them; users see them; workers themselves are refused. */
@RestController
@RequestMapping(ApiPaths.WORKERS)
class WorkerController {

    private final Workers workers;

    WorkerController(Workers workers) {
        this.workers = workers;
    }

    @PostMapping
    @PreAuthorize("hasRole('ADMIN')")
    ResponseEntity<WorkerCredentials> create(@Valid @RequestBody CreateWorkerRequest request, Caller caller) {
        WorkerCredentials created = workers.create(request, userId(caller));
        return ResponseEntity.created(URI.create(ApiPaths.WORKERS + "/" + created.id())).body(created);
    }

    @GetMapping
    @PreAuthorize("hasAnyRole('ADMIN', 'USER')")
    List<WorkerView> list() {
        return workers.list();
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasAnyRole('ADMIN', 'USER')")
    WorkerView get(@PathVariable UUID id) {
        return workers.get(id);
    }

    @DeleteMapping("/{id}")
    @PreAuthorize("hasRole('ADMIN')")
    ResponseEntity<Void> delete(@PathVariable UUID id) {
        workers.delete(id);
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{id}/token")
    @PreAuthorize("hasRole('ADMIN')")
    WorkerCredentials rotateToken(@PathVariable UUID id) {
        return workers.rotateToken(id);
    }

    private static UUID userId(Caller caller) {
        try {
            return UUID.fromString(caller.id());
        } catch (IllegalArgumentException e) {
            throw ApiException.forbidden("This token does not belong to a user of this registry");
        }
    }
}
