package dev.taskmesh.support;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.Claims;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Security and error handling every servlet service shares. Services verify every token themselves (signature
 * against the registry's JWKS, issuer, expiry) rather than trusting the gateway.
 */
@Configuration(proxyBeanMethods = false)
@EnableMethodSecurity
@EnableConfigurationProperties(SecurityProperties.class)
@Import(ProblemDetailsAdvice.class)
public class ServiceSupportConfiguration {

    private static final List<String> ALWAYS_PUBLIC = List.of("/actuator/health/**", "/actuator/info",
            "/actuator/prometheus", "/v3/api-docs/**", "/error");

    @Bean
    @Order(1)
    SecurityFilterChain internalCalls(HttpSecurity http, SecurityProperties properties) throws Exception {
        return http.securityMatcher(ApiPaths.INTERNAL + "/**")
                .csrf(csrf -> csrf.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(new InternalSecretFilter(properties.internalSecret()), BasicAuthenticationFilter.class)
                .authorizeHttpRequests(auth -> auth.anyRequest().hasAuthority(InternalSecretFilter.ROLE_INTERNAL))
                .build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain apiCalls(HttpSecurity http, List<PublicPaths> publicPaths) throws Exception {
        String[] open = publicPaths.stream().flatMap(p -> p.patterns().stream()).toArray(String[]::new);
        return http.csrf(csrf -> csrf.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers(ALWAYS_PUBLIC.toArray(String[]::new)).permitAll()
                        .requestMatchers(open).permitAll()
                        .anyRequest().authenticated())
                .oauth2ResourceServer(rs -> rs
                        .jwt(jwt -> jwt.jwtAuthenticationConverter(rolesFromClaim()))
                        .authenticationEntryPoint((req, res, e) -> ProblemResponses.write(req, res,
                                HttpStatus.UNAUTHORIZED, "Missing, expired or invalid bearer token")))
                .exceptionHandling(ex -> ex
                        .authenticationEntryPoint((req, res, e) -> ProblemResponses.write(req, res,
                                HttpStatus.UNAUTHORIZED, "Missing, expired or invalid bearer token"))
                        .accessDeniedHandler((req, res, e) -> ProblemResponses.write(req, res,
                                HttpStatus.FORBIDDEN, "Your role does not allow this")))
                .build();
    }

    /** Verifies tokens against the registry's keys; the registry itself declares a decoder over its own key. */
    /**
     * No observation wrappers around every security filter, authentication and authorization: nothing exports the
     * traces they make, and they cost a measurable share of each request (HTTP request metrics stay).
     */
    @Bean
    SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    @ConditionalOnMissingBean(JwtDecoder.class)
    JwtDecoder jwtDecoder(SecurityProperties properties) {
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSetUri(properties.jwksUri().toString()).build();
        OAuth2TokenValidator<Jwt> validator = new DelegatingOAuth2TokenValidator<>(JwtValidators.createDefault(),
                new JwtIssuerValidator(Claims.ISSUER));
        decoder.setJwtValidator(validator);
        return cached(decoder, new VerifiedTokenCache(validator, Clock.systemUTC()));
    }

    /** A decoder that verifies each token's signature once per few minutes ({@link VerifiedTokenCache}). */
    static JwtDecoder cached(JwtDecoder decoder, VerifiedTokenCache cache) {
        return token -> {
            Jwt known = cache.find(token);
            if (known != null) {
                return known;
            }
            Jwt jwt = decoder.decode(token);
            cache.put(token, jwt);
            return jwt;
        };
    }

    @Bean
    FilterRegistrationBean<JsonBodyLimitFilter> jsonBodyLimitFilter(SecurityProperties properties) {
        var registration = new FilterRegistrationBean<>(new JsonBodyLimitFilter(properties.maxJsonBody().toBytes()));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    @Bean
    WebMvcConfigurer callerArgument() {
        return new WebMvcConfigurer() {
            @Override
            public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
                resolvers.add(new CallerArgumentResolver());
            }
        };
    }

    /** Maps the {@code roles} claim to {@code ROLE_*} authorities and the {@code sub} claim to the principal name. */
    public static JwtAuthenticationConverter rolesFromClaim() {
        var converter = new JwtAuthenticationConverter();
        converter.setJwtGrantedAuthoritiesConverter(jwt -> {
            Collection<String> roles = jwt.getClaimAsStringList(Claims.ROLES);
            return roles == null ? List.<GrantedAuthority>of()
                    : roles.stream().<GrantedAuthority>map(r -> new SimpleGrantedAuthority("ROLE_" + r)).toList();
        });
        return converter;
    }
}
