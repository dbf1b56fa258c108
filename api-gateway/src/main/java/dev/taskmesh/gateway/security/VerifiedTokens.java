package dev.taskmesh.gateway.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

/**
 * A decoder that verifies each token's signature once per few minutes: an agent or a script sends the same token
 * with every request, and one RSA verification per request is a measurable share of the gateway's work. A token is
 * found only by its exact text (signature included), and every hit is validated again (expiry, not-before, issuer),
 * so an expired token is refused as without the cache. Bounded in age ({@link #MAX_AGE}) and size (a full cache
 * starts over).
 */
final class VerifiedTokens implements ReactiveJwtDecoder {

    static final Duration MAX_AGE = Duration.ofMinutes(5);
    static final int MAX_ENTRIES = 8192;

    private record Entry(Jwt jwt, Instant verifiedAt) {
    }

    private final ReactiveJwtDecoder decoder;
    private final OAuth2TokenValidator<Jwt> validator;
    private final Clock clock;
    private final Map<String, Entry> verified = new ConcurrentHashMap<>();

    /** @param validator the decoder's own checks, repeated on every hit */
    VerifiedTokens(ReactiveJwtDecoder decoder, OAuth2TokenValidator<Jwt> validator, Clock clock) {
        this.decoder = decoder;
        this.validator = validator;
        this.clock = clock;
    }

    @Override
    public Mono<Jwt> decode(String token) {
        Entry entry = verified.get(token);
        if (entry != null) {
            boolean stale = entry.verifiedAt().plus(MAX_AGE).isBefore(clock.instant());
            if (!stale && !validator.validate(entry.jwt()).hasErrors()) {
                return Mono.just(entry.jwt());
            }
            verified.remove(token, entry);
        }
        return decoder.decode(token).doOnNext(jwt -> {
            if (verified.size() >= MAX_ENTRIES) {
                verified.clear();
            }
            verified.put(token, new Entry(jwt, clock.instant()));
        });
    }
}
