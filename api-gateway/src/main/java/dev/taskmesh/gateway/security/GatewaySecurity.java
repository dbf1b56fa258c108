package dev.taskmesh.gateway.security;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.gateway.problem.Problems;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.oauth2.server.resource.authentication.ReactiveJwtAuthenticationConverterAdapter;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.header.ReferrerPolicyServerHttpHeadersWriter.ReferrerPolicy;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;

/**
 * The gateway's first token check: everything under {@code /api/**} except authentication needs a valid access
 * token (signature against the registry's JWKS, issuer {@value Claims#ISSUER}, expiry). Roles are checked by the
 * services, which verify the token again; the Authorization header travels to them unchanged. Stateless, no CSRF
 * tokens: API clients send bearer tokens, never cookies; the one cookie, the dashboard's refresh token, is guarded
 * by the session endpoints themselves (see {@code dev.taskmesh.gateway.session}).
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
@EnableConfigurationProperties(SecurityProperties.class)
class GatewaySecurity {

    /**
     * Paths anyone may call. Agents and browsers authenticate on {@code /ws/**} at STOMP CONNECT, inside the
     * session, because browsers cannot set headers on a WebSocket upgrade. The dashboard's session endpoints take
     * a password or the refresh-token cookie instead of a bearer token.
     */
    private static final String[] PUBLIC_PATHS = {
            ApiPaths.API + "/auth/**", AgentDestinations.ENDPOINT, "/ws/**", "/ui/session", "/ui/session/**",
            "/actuator/health/**", "/actuator/info", "/actuator/prometheus"};

    /** The dashboard's static files: public, and served with {@link #CONTENT_SECURITY_POLICY}. */
    private static final String[] DASHBOARD_PATHS = {
            "/", "/index.html", "/assets/**", "/webjars/**", "/favicon.ico"};

    /**
     * Only the gateway's own files may run or style the dashboard, and it may connect to nothing but the gateway
     * (WebSocket included): injected markup can neither run scripts nor send data elsewhere.
     */
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; "
            + "img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'";

    private static final ServerAuthenticationEntryPoint UNAUTHORIZED = (exchange, e) ->
            Problems.write(exchange, HttpStatus.UNAUTHORIZED, "Missing, expired or invalid bearer token");

    private static final ServerAccessDeniedHandler FORBIDDEN = (exchange, e) ->
            Problems.write(exchange, HttpStatus.FORBIDDEN, "Your role does not allow this");

    /**
     * The dashboard's files. Spring Security's no-store header is left off here so that the browser revalidates
     * them (see {@code spring.web.resources.cache}) instead of downloading every module again on each visit.
     */
    /**
     * No observation wrappers around every security filter, authentication and authorization: nothing exports the
     * traces they make, and they cost a measurable share of each request (HTTP request metrics stay).
     */
    @Bean
    SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    @Order(0)
    SecurityWebFilterChain dashboard(ServerHttpSecurity http) {
        return stateless(http)
                .securityMatcher(ServerWebExchangeMatchers.pathMatchers(DASHBOARD_PATHS))
                .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll())
                .headers(headers -> headers
                        .cache(ServerHttpSecurity.HeaderSpec.CacheSpec::disable)
                        .contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
                        .referrerPolicy(referrer -> referrer.policy(ReferrerPolicy.NO_REFERRER)))
                .build();
    }

    /**
     * Public paths get a chain of their own without the resource server, so that a stale token sent along (say,
     * with a refresh) is passed on for the service to judge instead of being refused here.
     */
    @Bean
    @Order(1)
    SecurityWebFilterChain publicPaths(ServerHttpSecurity http) {
        return stateless(http)
                .securityMatcher(ServerWebExchangeMatchers.pathMatchers(PUBLIC_PATHS))
                .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll())
                .build();
    }

    @Bean
    @Order(2)
    SecurityWebFilterChain everythingElse(ServerHttpSecurity http) {
        return stateless(http)
                .authorizeExchange(exchanges -> exchanges.anyExchange().authenticated())
                .oauth2ResourceServer(resourceServer -> resourceServer
                        .jwt(jwt -> jwt.jwtAuthenticationConverter(
                                new ReactiveJwtAuthenticationConverterAdapter(rolesFromClaim())))
                        .authenticationEntryPoint(UNAUTHORIZED)
                        .accessDeniedHandler(FORBIDDEN))
                .exceptionHandling(exceptions -> exceptions
                        .authenticationEntryPoint(UNAUTHORIZED)
                        .accessDeniedHandler(FORBIDDEN))
                .build();
    }

    /**
     * Verifies tokens against the registry's keys, which the decoder fetches and caches; a token seen lately is not
     * verified again ({@link VerifiedTokens}).
     */
    @Bean
    ReactiveJwtDecoder jwtDecoder(SecurityProperties properties) {
        NimbusReactiveJwtDecoder decoder = NimbusReactiveJwtDecoder.withJwkSetUri(properties.jwksUri().toString())
                .build();
        OAuth2TokenValidator<Jwt> validator = JwtValidators.createDefaultWithIssuer(Claims.ISSUER);
        decoder.setJwtValidator(validator);
        return new VerifiedTokens(decoder, validator, Clock.systemUTC());
    }

    /** Maps the {@code roles} claim to {@code ROLE_*} authorities and {@code sub} to the principal name. */
    static JwtAuthenticationConverter rolesFromClaim() {
        var converter = new JwtAuthenticationConverter();
        converter.setJwtGrantedAuthoritiesConverter(jwt -> {
            Collection<String> roles = jwt.getClaimAsStringList(Claims.ROLES);
            return roles == null ? List.<GrantedAuthority>of()
                    : roles.stream().<GrantedAuthority>map(role -> new SimpleGrantedAuthority("ROLE_" + role)).toList();
        });
        return converter;
    }

    private static ServerHttpSecurity stateless(ServerHttpSecurity http) {
        return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance());
    }
}
