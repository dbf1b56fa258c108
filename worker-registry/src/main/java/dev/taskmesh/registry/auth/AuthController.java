package dev.taskmesh.registry.auth;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.contract.auth.TokenResponse;
import jakarta.validation.Valid;
import java.time.Duration;
import java.util.Map;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Logging in, refreshing, and the public keys every service verifies tokens with. All public. */
@RestController
class AuthController {

    private final TokenGrants grants;
    private final SigningKeys keys;

    AuthController(TokenGrants grants, SigningKeys keys) {
        this.grants = grants;
        this.keys = keys;
    }

    @PostMapping(ApiPaths.AUTH_TOKEN)
    ResponseEntity<TokenResponse> token(@RequestBody TokenRequest request) {
        return noStore(grants.grant(request));
    }

    @PostMapping(ApiPaths.AUTH_REFRESH)
    ResponseEntity<TokenResponse> refresh(@Valid @RequestBody RefreshRequest request) {
        return noStore(grants.refresh(request.refresh_token()));
    }

    /**
     * Logging out: the refresh token is used up. Answers 204 whether it existed or not, so that the endpoint tells
     * nothing about tokens (RFC 7009); possession of the token is the authorization.
     */
    @PostMapping(ApiPaths.AUTH_REVOKE)
    ResponseEntity<Void> revoke(@Valid @RequestBody RefreshRequest request) {
        grants.revoke(request.refresh_token());
        return ResponseEntity.noContent().build();
    }

    /** Public parts only; keys change rarely, so verifiers may cache the set for a few minutes. */
    @GetMapping(ApiPaths.AUTH_JWKS)
    ResponseEntity<Map<String, Object>> jwks() {
        return ResponseEntity.ok()
                .cacheControl(CacheControl.maxAge(Duration.ofMinutes(5)).cachePublic())
                .body(keys.publicKeys().toJSONObject(true));
    }

    private static ResponseEntity<TokenResponse> noStore(TokenResponse response) {
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(response);
    }
}
