// The login session. The refresh token lives in an HttpOnly cookie only the gateway reads (/ui/session); the
// access token lives here, in memory, and is lost on reload, which the cookie restores.

const SESSION = '/ui/session';
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

let state = { token: null, expiresAt: 0, user: null };
let refreshing = null;
let timer = null;
const listeners = new Set();

/** Why a login or refresh failed, with the problem+json body when there is one. */
export class SessionError extends Error {
    constructor(status, problem) {
        super(problem?.detail ?? `The session request failed (${status})`);
        this.status = status;
        this.problem = problem;
    }
}

export function accessToken() {
    return state.token;
}

export function currentUser() {
    return state.user;
}

export function isAdmin() {
    return state.user?.roles?.includes('ADMIN') ?? false;
}

/** `listener(user)` after every login, refresh and logout (null user when logged out). */
export function onSessionChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
}

export async function login(username, password) {
    const response = await fetch(SESSION, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ username, password }),
        credentials: 'same-origin'
    });
    if (!response.ok) {
        throw new SessionError(response.status, await problemOf(response));
    }
    open(await response.json());
    return state.user;
}

/**
 * A fresh access token from the cookie. Resolves true when there is a session, false when there is none (the
 * user must log in); concurrent callers share one request, since the refresh token is used up on first use.
 */
export function refresh() {
    if (!refreshing) {
        refreshing = doRefresh().finally(() => { refreshing = null; });
    }
    return refreshing;
}

async function doRefresh() {
    let response;
    try {
        response = await fetch(`${SESSION}/refresh`, {
            method: 'POST',
            headers: { 'X-Requested-With': 'taskmesh', Accept: 'application/json' },
            credentials: 'same-origin'
        });
    } catch (error) {
        throw new SessionError(0, { detail: 'The gateway is not reachable' });
    }
    if (response.status === 401) {
        end();
        return false;
    }
    if (!response.ok) {
        throw new SessionError(response.status, await problemOf(response));
    }
    open(await response.json());
    return true;
}

/** A token that is valid for a while yet: refreshes first when it is about to expire. */
export async function freshToken() {
    if (state.token && Date.now() < state.expiresAt - EARLY_MS / 2) {
        return state.token;
    }
    return (await refresh()) ? state.token : null;
}

export async function logout() {
    try {
        await fetch(SESSION, { method: 'DELETE', credentials: 'same-origin' });
    } finally {
        end();
    }
}

/** Forgets the session locally (after a logout or when the refresh token was refused). */
export function end() {
    const wasLoggedIn = state.user !== null;
    state = { token: null, expiresAt: 0, user: null };
    clearTimeout(timer);
    if (wasLoggedIn) {
        notify();
    }
}

function open(session) {
    state = {
        token: session.access_token,
        expiresAt: Date.now() + session.expires_in * 1000,
        user: session.user
    };
    clearTimeout(timer);
    // Refresh ahead of expiry so that live connections and long forms never meet an expired token.
    const delay = Math.max(5_000, session.expires_in * 1000 - EARLY_MS);
    timer = setTimeout(() => refresh().catch(() => { /* the next API call retries */ }), delay);
    notify();
}

function notify() {
    for (const listener of listeners) {
        listener(state.user);
    }
}

async function problemOf(response) {
    try {
        return await response.json();
    } catch {
        return null;
    }
}
