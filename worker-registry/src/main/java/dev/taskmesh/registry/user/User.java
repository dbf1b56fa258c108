package dev.taskmesh.registry.user;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A person's account. */
@Entity
@Table(name = "users")
class User {

    @Id
    private UUID id;

    @Column(nullable = false, updatable = false)
    private String username;

    @Column(name = "password_hash", nullable = false)
    private String passwordHash;

    @JdbcTypeCode(SqlTypes.ARRAY)
    @Column(nullable = false)
    private List<String> roles;

    @Column(nullable = false)
    private boolean enabled;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    @Version
    private long version;

    protected User() {
        // for JPA
    }

    User(String username, String passwordHash, Collection<Role> roles, Instant createdAt) {
        this.id = UUID.randomUUID();
        this.username = username;
        this.passwordHash = passwordHash;
        this.roles = names(roles);
        this.enabled = true;
        this.createdAt = createdAt;
    }

    UUID id() {
        return id;
    }

    String username() {
        return username;
    }

    String passwordHash() {
        return passwordHash;
    }

    List<Role> roles() {
        return roles.stream().map(Role::valueOf).sorted().toList();
    }

    boolean enabled() {
        return enabled;
    }

    Instant createdAt() {
        return createdAt;
    }

    void changeRoles(Collection<Role> newRoles) {
        this.roles = names(newRoles);
    }

    void changePasswordHash(String newHash) {
        this.passwordHash = newHash;
    }

    void enable(boolean value) {
        this.enabled = value;
    }

    private static List<String> names(Collection<Role> roles) {
        return new ArrayList<>(roles.stream().distinct().sorted().map(Role::name).toList());
    }
}
