package dev.taskmesh.registry.worker;

import dev.taskmesh.registry.OpaqueTokens;
import dev.taskmesh.registry.heartbeat.Heartbeats;
import dev.taskmesh.registry.heartbeat.LastHeartbeat;
import dev.taskmesh.support.ApiException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Registering workers, their tokens, and how people see them. */
@Service
public class Workers {

    static final String TOKEN_PREFIX = "tmw_";

    private final WorkerRepository repository;
    private final Heartbeats heartbeats;

    Workers(WorkerRepository repository, Heartbeats heartbeats) {
        this.repository = repository;
        this.heartbeats = heartbeats;
    }

    /** The worker with this id and token, unless it was deleted. */
    @Transactional(readOnly = true)
    public Optional<AuthenticatedWorker> authenticate(String workerId, String token) {
        UUID id;
        try {
            id = UUID.fromString(workerId);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        String presented = OpaqueTokens.sha256Hex(token);
        return repository.findByIdAndDeletedAtIsNull(id)
                .filter(w -> OpaqueTokens.hashesEqual(w.tokenHash(), presented))
                .map(w -> new AuthenticatedWorker(w.id(), w.name()));
    }

    @Transactional
    WorkerCredentials create(CreateWorkerRequest request, UUID createdBy) {
        if (repository.existsByNameAndDeletedAtIsNull(request.name())) {
            throw nameTaken(request.name());
        }
        String token = OpaqueTokens.generate(TOKEN_PREFIX);
        List<String> labels = request.labels() == null ? List.of() : request.labels();
        var worker = new Worker(request.name(), labels, OpaqueTokens.sha256Hex(token), Instant.now(), createdBy);
        try {
            repository.saveAndFlush(worker);
        } catch (DataIntegrityViolationException e) {
            // another request registered the name between the check and the insert
            throw nameTaken(request.name());
        }
        return credentials(worker, token);
    }

    @Transactional(readOnly = true)
    List<WorkerView> list() {
        Map<UUID, LastHeartbeat> latest = heartbeats.latest();
        return repository.findAllByDeletedAtIsNullOrderByName().stream()
                .map(w -> WorkerView.from(w, latest.get(w.id())))
                .toList();
    }

    @Transactional(readOnly = true)
    WorkerView get(UUID id) {
        Worker worker = live(id);
        return WorkerView.from(worker, heartbeats.latest(id).orElse(null));
    }

    /** Soft delete: the row stays for the record, the token stops working and the name becomes free. */
    @Transactional
    void delete(UUID id) {
        live(id).delete(Instant.now());
    }

    /** A new token; the old one stops working at once. */
    @Transactional
    WorkerCredentials rotateToken(UUID id) {
        Worker worker = live(id);
        String token = OpaqueTokens.generate(TOKEN_PREFIX);
        worker.replaceTokenHash(OpaqueTokens.sha256Hex(token));
        repository.saveAndFlush(worker);
        return credentials(worker, token);
    }

    private Worker live(UUID id) {
        return repository.findByIdAndDeletedAtIsNull(id)
                .orElseThrow(() -> ApiException.notFound("No worker with id " + id));
    }

    private static WorkerCredentials credentials(Worker worker, String token) {
        return new WorkerCredentials(worker.id(), worker.name(), worker.labels(), token, worker.createdAt());
    }

    private static ApiException nameTaken(String name) {
        return ApiException.conflict("A worker named '" + name + "' exists");
    }
}
