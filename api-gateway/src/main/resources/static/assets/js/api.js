// The public REST API, called like any other client: a bearer token, refreshed once on 401.
import { accessToken, end, refresh } from './session.js';

/** A non-2xx answer, with its problem+json body and field errors when there are some. */
export class ApiError extends Error {
    constructor(status, problem, path) {
        super(problem?.detail ?? problem?.title ?? `Request failed with status ${status}`);
        this.status = status;
        this.problem = problem;
        this.path = path;
        /** `[{field, message}]` from a validation problem. */
        this.fieldErrors = Array.isArray(problem?.errors) ? problem.errors : [];
    }
}

/** Called when the session is gone for good (refresh refused): the app shows the login screen. */
let sessionLost = () => {};
export function onSessionLost(callback) {
    sessionLost = callback;
}

/**
 * Calls `path` (with `query` appended, empty values left out) and answers the parsed JSON, null for an empty
 * body, or the Response itself with `raw`.
 */
export async function api(path, { method = 'GET', body, query, raw = false, signal } = {}) {
    const url = withQuery(path, query);
    const send = () => {
        const headers = { Accept: 'application/json, application/problem+json;q=0.9, */*;q=0.1' };
        const token = accessToken();
        if (token) {
            headers.Authorization = `Bearer ${token}`;
        }
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
        }
        return fetch(url, {
            method, headers, signal,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'omit'
        });
    };
    let response;
    try {
        response = await send();
        if (response.status === 401) {
            if (await refresh()) {
                response = await send();
            } else {
                end();
                sessionLost();
            }
        }
    } catch (error) {
        if (error.name === 'AbortError' || error instanceof ApiError) {
            throw error;
        }
        throw new ApiError(0, { detail: 'The gateway is not reachable' }, path);
    }
    if (!response.ok) {
        throw new ApiError(response.status, await problemOf(response), path);
    }
    if (raw) {
        return response;
    }
    if (response.status === 204) {
        return null;
    }
    const text = await response.text();
    return text ? JSON.parse(text) : null;
}

export const get = (path, query, options = {}) => api(path, { ...options, query });
export const post = (path, body) => api(path, { method: 'POST', body });
export const patch = (path, body) => api(path, { method: 'PATCH', body });
export const del = path => api(path, { method: 'DELETE' });

/**
 * Downloads a protected file: links cannot carry the bearer token, so it is fetched here and handed to the
 * browser as a blob URL.
 */
export async function download(path, filename) {
    const response = await api(path, { raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // Give the browser a moment to start the download before the URL is revoked.
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

function withQuery(path, query) {
    if (!query) {
        return path;
    }
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') {
            params.set(key, value);
        }
    }
    const text = params.toString();
    return text ? `${path}?${text}` : path;
}

async function problemOf(response) {
    const type = response.headers.get('Content-Type') ?? '';
    if (!type.includes('json')) {
        return null;
    }
    try {
        return await response.json();
    } catch {
        return null;
    }
}
