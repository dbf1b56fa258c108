package dev.taskmesh.registry.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;

/**
 * The keys of this registry.
 *
 * @param active     signs new access tokens; holds the private key
 * @param publicKeys every key whose tokens are still accepted, public parts only: the JWKS
 */
record SigningKeys(RSAKey active, JWKSet publicKeys) {
}
