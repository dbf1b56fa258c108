package dev.taskmesh.registry.worker;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;
import org.jspecify.annotations.Nullable;

/** A registered worker. Its token is known only as a SHA-256 hash. */
@Entity
@Table(name = "workers")
class Worker {

    @Id
    private UUID id;

    @Column(nullable = false, updatable = false)
    private String name;

    @JdbcTypeCode(SqlTypes.ARRAY)
    @Column(nullable = false)
    private List<String> labels;

    @Column(name = "token_hash", nullable = false)
    private String tokenHash;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    @Column(name = "created_by", nullable = false, updatable = false)
    private UUID createdBy;

    @Column(name = "deleted_at")
    private @Nullable Instant deletedAt;

    @Version
    private long version;

    protected Worker() {
        // for JPA
    }

    Worker(String name, List<String> labels, String tokenHash, Instant createdAt, UUID createdBy) {
        this.id = UUID.randomUUID();
        this.name = name;
        this.labels = new ArrayList<>(labels);
        this.tokenHash = tokenHash;
        this.createdAt = createdAt;
        this.createdBy = createdBy;
    }

    UUID id() {
        return id;
    }

    String name() {
        return name;
    }

    List<String> labels() {
        return List.copyOf(labels);
    }

    String tokenHash() {
        return tokenHash;
    }

    Instant createdAt() {
        return createdAt;
    }

    boolean deleted() {
        return deletedAt != null;
    }

    void replaceTokenHash(String newHash) {
        this.tokenHash = newHash;
    }

    void delete(Instant at) {
        this.deletedAt = at;
    }
}
