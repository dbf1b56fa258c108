package dev.taskmesh.registry.auth;

import dev.taskmesh.contract.auth.Claims;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;
import org.springframework.stereotype.Component;

/** Signs access tokens: RS256 JWTs with the claims of {@link Claims}. */
@Component
class AccessTokens {

    private final JwtEncoder encoder;
    private final SigningKeys keys;

    AccessTokens(JwtEncoder encoder, SigningKeys keys) {
        this.encoder = encoder;
        this.keys = keys;
    }

    /**
     * A token for {@code subject} valid from {@code issuedAt} for {@code ttl}.
     *
     * @param subject a user's or worker's id
     * @param name    the user's login name or the worker's name
     */
    String sign(UUID subject, String name, List<String> roles, Instant issuedAt, Duration ttl) {
        var claims = JwtClaimsSet.builder()
                .issuer(Claims.ISSUER)
                .subject(subject.toString())
                .claim(Claims.NAME, name)
                .claim(Claims.ROLES, roles)
                .issuedAt(issuedAt)
                .expiresAt(issuedAt.plus(ttl))
                .id(UUID.randomUUID().toString())
                .build();
        var header = JwsHeader.with(SignatureAlgorithm.RS256).keyId(keys.active().getKeyID()).build();
        return encoder.encode(JwtEncoderParameters.from(header, claims)).getTokenValue();
    }
}
