package dev.taskmesh.gateway.security;

import java.net.URI;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the gateway verifies bearer tokens.
 *
 * @param jwksUri the registry's public JSON Web Key Set, which signs every access token
 */
@ConfigurationProperties("taskmesh.security")
record SecurityProperties(@DefaultValue("http://127.0.0.1:8081/api/v1/auth/jwks") URI jwksUri) {
}
