/**
 * The dashboard's login session, kept the backend-for-frontend way: the refresh token lives in an HttpOnly,
 * SameSite=Strict cookie scoped to {@code /ui/session}, so neither other origins nor page scripts can read it; the
 * short-lived access token is handed to the page, which keeps it in memory only.
 */
@NullMarked
package dev.taskmesh.gateway.session;

import org.jspecify.annotations.NullMarked;
