/**
 * What every servlet service of Taskmesh shares: token verification against the registry's JWKS, the shared
 * secret of internal calls, problem+json errors and request size limits. A service takes it with
 * {@code @Import(ServiceSupportConfiguration.class)}.
 */
@NullMarked
package dev.taskmesh.support;

import org.jspecify.annotations.NullMarked;
