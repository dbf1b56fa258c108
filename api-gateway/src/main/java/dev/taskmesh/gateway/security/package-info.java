/** The gateway's first bearer-token check; every service verifies the token again. */
@NullMarked
package dev.taskmesh.gateway.security;

import org.jspecify.annotations.NullMarked;
