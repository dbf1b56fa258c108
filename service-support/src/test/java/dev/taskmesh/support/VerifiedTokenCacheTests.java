package dev.taskmesh.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;

class VerifiedTokenCacheTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    private final AtomicInteger verifications = new AtomicInteger();
    private final JwtTimestampValidator validator = new JwtTimestampValidator(Duration.ZERO);

    {
        validator.setClock(clock);
    }

    /** A stand-in for the signature check: "good-*" tokens verify, expiring 10 minutes after "now". */
    private final JwtDecoder verifier = token -> {
        verifications.incrementAndGet();
        if (!token.startsWith("good-")) {
            throw new BadJwtException("bad signature");
        }
        return Jwt.withTokenValue(token).header("alg", "RS256").subject("alice")
                .issuedAt(clock.instant()).expiresAt(clock.instant().plus(Duration.ofMinutes(10))).build();
    };
    private final JwtDecoder decoder = ServiceSupportConfiguration.cached(verifier,
            new VerifiedTokenCache(validator, clock));

    @Test
    void verifiesATokenOnceAndAnswersItsRepeatsFromTheCache() {
        Jwt first = decoder.decode("good-1");
        Jwt second = decoder.decode("good-1");

        assertThat(second).isSameAs(first);
        assertThat(verifications).hasValue(1);
        decoder.decode("good-2");
        assertThat(verifications).hasValue(2);
    }

    @Test
    void neverCachesATokenThatFailedVerification() {
        assertThatThrownBy(() -> decoder.decode("forged")).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> decoder.decode("forged")).isInstanceOf(BadJwtException.class);

        assertThat(verifications).hasValue(2);
    }

    @Test
    void checksACachedTokenAgainOnceItExpired() {
        decoder.decode("good-1");
        clock.advance(Duration.ofMinutes(11));

        // expired in the cache: the decoder verifies (and validates) it again instead of answering it
        decoder.decode("good-1");

        assertThat(verifications).hasValue(2);
    }

    @Test
    void verifiesAgainAfterTheMaximumAge() {
        decoder.decode("good-1");
        clock.advance(VerifiedTokenCache.MAX_AGE.plusSeconds(1));

        decoder.decode("good-1");

        assertThat(verifications).hasValue(2);
    }

    private static final class MutableClock extends Clock {

        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
