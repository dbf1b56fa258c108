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

/** Metadata of one output file of an attempt; the bytes are on disk at {@link ResultStorage#fileOf}. */
@Entity
@Table(name = "output_files")
public class StoredFile {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private @Nullable Long id;

    @Column(name = "task_id", nullable = false, updatable = false)
    private UUID taskId;

    @Column(name = "attempt", nullable = false, updatable = false)
    private int attempt;

    @Column(name = "worker_id", nullable = false, updatable = false)
    private String workerId;

    @Column(name = "name", nullable = false, updatable = false, length = 1024)
    private String name;

    @Column(name = "size", nullable = false)
    private long size;

    @Column(name = "sha256", nullable = false, length = 64)
    private String sha256;

    @Column(name = "stored_at", nullable = false)
    private Instant storedAt;

    @Version
    private long version;

    protected StoredFile() {
        // for JPA
    }

    public StoredFile(UUID taskId, int attempt, String workerId, String name, long size, String sha256,
                      Instant storedAt) {
        this.taskId = taskId;
        this.attempt = attempt;
        this.workerId = workerId;
        this.name = name;
        this.size = size;
        this.sha256 = sha256;
        this.storedAt = storedAt;
    }

    /** A new upload of the same name replaced the content. */
    public void replaced(long size, String sha256, Instant storedAt) {
        this.size = size;
        this.sha256 = sha256;
        this.storedAt = storedAt;
    }

    public UUID taskId() {
        return taskId;
    }

    public int attempt() {
        return attempt;
    }

    public String workerId() {
        return workerId;
    }

    public String name() {
        return name;
    }

    public long size() {
        return size;
    }

    public String sha256() {
        return sha256;
    }

    public Instant storedAt() {
        return storedAt;
    }
}
