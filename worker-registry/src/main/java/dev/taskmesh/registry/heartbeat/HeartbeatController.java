package dev.taskmesh.registry.heartbeat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.WorkerHeartbeats;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Heartbeats forwarded by the task-service, once a second, as one batch; authenticated by the internal secret. */
@RestController
class HeartbeatController {

    private final Heartbeats heartbeats;

    HeartbeatController(Heartbeats heartbeats) {
        this.heartbeats = heartbeats;
    }

    @PostMapping(ApiPaths.INTERNAL_HEARTBEATS)
    ResponseEntity<Void> receive(@RequestBody WorkerHeartbeats batch) {
        heartbeats.record(batch);
        return ResponseEntity.noContent().build();
    }
}
