package dev.taskmesh.registry.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.support.PublicPaths;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;

/**
 * The registry signs tokens with its own key and verifies them with the same key in memory; the JWKS decoder of
 * service-support (which would call this very service over HTTP) steps aside for the decoder declared here.
 */
@Configuration(proxyBeanMethods = false)
class SigningConfiguration {

    @Bean
    SigningKeys signingKeys(JdbcTemplate jdbc) {
        return new SigningKeyStore(jdbc).loadOrCreate();
    }

    @Bean
    JwtEncoder jwtEncoder(SigningKeys keys) {
        return new NimbusJwtEncoder(new ImmutableJWKSet<>(new JWKSet(keys.active())));
    }

    @Bean
    JwtDecoder jwtDecoder(SigningKeys keys) {
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSource(new ImmutableJWKSet<>(keys.publicKeys())).build();
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(JwtValidators.createDefault(),
                new JwtIssuerValidator(Claims.ISSUER)));
        return decoder;
    }

    @Bean
    PublicPaths authPaths() {
        return PublicPaths.of(ApiPaths.API + "/auth/**");
    }
}
