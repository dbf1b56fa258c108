package dev.taskmesh.registry.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long the tokens the registry issues stay valid.
 *
 * @param accessTokenTtl  lifetime of a person's access token (a signed JWT no one can revoke, so keep it short)
 * @param refreshTokenTtl lifetime of a refresh token; each use replaces it with a new one
 * @param workerTokenTtl  lifetime of a worker's access token; the agent asks again with its worker token
 */
@ConfigurationProperties("taskmesh.registry")
record TokenProperties(@DefaultValue("15m") Duration accessTokenTtl,
                       @DefaultValue("30d") Duration refreshTokenTtl,
                       @DefaultValue("1h") Duration workerTokenTtl) {
}
