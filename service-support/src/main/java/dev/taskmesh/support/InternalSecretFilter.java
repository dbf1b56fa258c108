package dev.taskmesh.support;

import dev.taskmesh.contract.ApiPaths;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/** Authenticates calls between services by the shared secret in {@value ApiPaths#INTERNAL_SECRET_HEADER}. */
class InternalSecretFilter extends OncePerRequestFilter {

    static final String ROLE_INTERNAL = "ROLE_INTERNAL";

    private final byte @Nullable [] secret;

    InternalSecretFilter(@Nullable String secret) {
        this.secret = secret == null || secret.isBlank() ? null : secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presented = request.getHeader(ApiPaths.INTERNAL_SECRET_HEADER);
        if (secret == null) {
            ProblemResponses.write(request, response, HttpStatus.UNAUTHORIZED,
                    "Internal calls are disabled: taskmesh.security.internal-secret is not set");
            return;
        }
        if (presented == null || !MessageDigest.isEqual(secret, presented.getBytes(StandardCharsets.UTF_8))) {
            ProblemResponses.write(request, response, HttpStatus.UNAUTHORIZED, "Missing or wrong internal secret");
            return;
        }
        var authentication = new UsernamePasswordAuthenticationToken("internal", null,
                List.of(new SimpleGrantedAuthority(ROLE_INTERNAL)));
        SecurityContextHolder.getContext().setAuthentication(authentication);
        chain.doFilter(request, response);
    }
}
