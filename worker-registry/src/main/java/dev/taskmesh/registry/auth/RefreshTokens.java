package dev.taskmesh.registry.auth;

import dev.taskmesh.registry.OpaqueTokens;
import dev.taskmesh.registry.user.UserAccessChanged;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/** Refresh tokens: random, stored as SHA-256 hashes, each usable once. */
@Repository
class RefreshTokens {

    private final JdbcTemplate jdbc;
    private final TokenProperties properties;

    RefreshTokens(JdbcTemplate jdbc, TokenProperties properties) {
        this.jdbc = jdbc;
        this.properties = properties;
    }

    /** A new refresh token for the user; only its hash is stored. */
    @Transactional
    String issue(UUID userId, Instant now) {
        // the user's expired tokens go while we are here, so the table does not grow without end
        jdbc.update("DELETE FROM registry.refresh_tokens WHERE user_id = ? AND expires_at <= ?", userId,
                Timestamp.from(now));
        String token = OpaqueTokens.generate("");
        jdbc.update("""
                INSERT INTO registry.refresh_tokens (token_hash, user_id, created_at, expires_at)
                VALUES (?, ?, ?, ?)
                """, OpaqueTokens.sha256Hex(token), userId, Timestamp.from(now),
                Timestamp.from(now.plus(properties.refreshTokenTtl())));
        return token;
    }

    /**
     * Uses up the token: deletes it and answers whose it was, if it existed and had not expired. The delete makes
     * two concurrent uses of one token yield one success.
     */
    Optional<UUID> consume(String token, Instant now) {
        return jdbc.query("""
                DELETE FROM registry.refresh_tokens
                 WHERE token_hash = ?
                RETURNING user_id, expires_at
                """, (rs, n) -> rs.getTimestamp("expires_at").toInstant().isAfter(now)
                        ? Optional.of(rs.getObject("user_id", UUID.class)) : Optional.<UUID>empty(),
                OpaqueTokens.sha256Hex(token))
                .stream().findFirst().flatMap(o -> o);
    }

    /** A user who was disabled or got a new password or roles must log in again. */
    @EventListener
    void revokeAll(UserAccessChanged event) {
        jdbc.update("DELETE FROM registry.refresh_tokens WHERE user_id = ?", event.userId());
    }
}
