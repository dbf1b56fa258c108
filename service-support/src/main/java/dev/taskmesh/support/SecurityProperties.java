package dev.taskmesh.support;

import java.net.URI;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How a service checks who calls it.
 *
 * @param jwksUri        the registry's JSON Web Key Set, used to verify access tokens
 * @param internalSecret shared secret of calls between services ({@code /internal/**}); internal calls are refused
 *                       while it is not set
 * @param maxJsonBody    largest JSON request body accepted; larger ones get 413
 */
@ConfigurationProperties("taskmesh.security")
public record SecurityProperties(@DefaultValue("http://127.0.0.1:8081/api/v1/auth/jwks") URI jwksUri,
                                 @Nullable String internalSecret,
                                 @DefaultValue("1MB") DataSize maxJsonBody) {
}
