package dev.taskmesh.gateway.session;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The dashboard's login session.
 *
 * @param refreshCookieMaxAge how long the browser keeps the refresh-token cookie; match the registry's refresh-token
 *                            lifetime, which decides how long the token is actually accepted
 * @param registryTimeout     how long a login or refresh waits for the registry before answering 503
 */
@ConfigurationProperties("taskmesh.gateway.session")
record SessionProperties(@DefaultValue("30d") Duration refreshCookieMaxAge,
                         @DefaultValue("10s") Duration registryTimeout) {
}
