package dev.taskmesh.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Tokens whose signature was verified lately, by their exact text, so that a client sending the same token with
 * every request (an agent's uploads, a script's submissions) costs one RSA verification per few minutes instead of
 * one per request. A hit is still validated on every use (expiry, not-before, issuer), so an expired token is refused
 * exactly as without the cache; a token is only ever found by the very bytes that were verified, signature included.
 * Bounded: entries older than {@link #MAX_AGE} are verified again, and a full cache starts over.
 */
public final class VerifiedTokenCache {

    /** How long a verified signature is trusted before it is checked again (the JWKS may have changed). */
    static final Duration MAX_AGE = Duration.ofMinutes(5);
    /** Most tokens kept: a fleet of agents has one each. */
    static final int MAX_ENTRIES = 8192;

    private record Entry(Jwt jwt, Instant verifiedAt) {
    }

    private final Map<String, Entry> verified = new ConcurrentHashMap<>();
    private final OAuth2TokenValidator<Jwt> validator;
    private final Clock clock;

    /** @param validator the checks of the decoder (timestamps, issuer), repeated on every hit */
    public VerifiedTokenCache(OAuth2TokenValidator<Jwt> validator, Clock clock) {
        this.validator = validator;
        this.clock = clock;
    }

    /** The verified token, if it was verified lately and is still valid now; null: verify it again. */
    public @Nullable Jwt find(String token) {
        Entry entry = verified.get(token);
        if (entry == null) {
            return null;
        }
        boolean stale = entry.verifiedAt().plus(MAX_AGE).isBefore(clock.instant());
        if (stale || validator.validate(entry.jwt()).hasErrors()) {
            verified.remove(token, entry);
            return null;
        }
        return entry.jwt();
    }

    /** Remembers a token the decoder has just verified and validated. */
    public void put(String token, Jwt jwt) {
        if (verified.size() >= MAX_ENTRIES) {
            verified.clear();
        }
        verified.put(token, new Entry(jwt, clock.instant()));
    }

    int size() {
        return verified.size();
    }
}
