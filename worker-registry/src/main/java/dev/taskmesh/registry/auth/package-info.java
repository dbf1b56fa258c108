/** Tokens: the password and worker grants, refresh-token rotation, the signing key and its JWKS. */
@NullMarked
package dev.taskmesh.registry.auth;

import org.jspecify.annotations.NullMarked;
