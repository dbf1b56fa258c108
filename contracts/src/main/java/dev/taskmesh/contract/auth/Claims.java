package dev.taskmesh.contract.auth;

/** Claims of Taskmesh access tokens (signed JWTs, verified by every service against the registry's JWKS). */
public final class Claims {

    /** Issuer of every Taskmesh token. */
    public static final String ISSUER = "taskmesh";
    /** {@code sub}: the user's id, or the worker's id for worker tokens. */
    public static final String SUBJECT = "sub";
    /** The user's login name (or the worker's name). */
    public static final String NAME = "name";
    /** Roles: {@code ADMIN}, {@code USER}, {@code WORKER}. */
    public static final String ROLES = "roles";

    public static final String ROLE_ADMIN = "ADMIN";
    public static final String ROLE_USER = "USER";
    public static final String ROLE_WORKER = "WORKER";

    private Claims() {
    }
}
