package dev.taskmesh.result.attempt;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** An attempt that received uploads, claimed by the worker that uploaded first. */
@Entity
@Table(name = "attempts")
public class Attempt {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private @Nullable Long id;

    @Column(name = "task_id", nullable = false, updatable = false)
    private UUID taskId;

    @Column(name = "attempt", nullable = false, updatable = false)
    private int number;

    @Column(name = "worker_id", nullable = false, updatable = false)
    private String workerId;

    @Column(name = "claimed_at", nullable = false, updatable = false)
    private Instant claimedAt;

    @Column(name = "log_size")
    private @Nullable Long logSize;

    @Column(name = "log_stored_at")
    private @Nullable Instant logStoredAt;

    @Version
    private long version;

    protected Attempt() {
        // for JPA
    }

    public UUID taskId() {
        return taskId;
    }

    public int number() {
        return number;
    }

    public String workerId() {
        return workerId;
    }

    public Instant claimedAt() {
        return claimedAt;
    }

    /** Whether a log was uploaded for this attempt. */
    public boolean hasLog() {
        return logSize != null;
    }

    public @Nullable Long logSize() {
        return logSize;
    }

    public void logStored(long size, Instant at) {
        this.logSize = size;
        this.logStoredAt = at;
    }
}
