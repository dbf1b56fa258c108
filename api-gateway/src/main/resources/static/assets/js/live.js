// Live updates over STOMP (the task-service's browser endpoint /ws/events, through the gateway). Everything
// works without it: views load over REST, and while it is unavailable they poll and say so.
import { Client } from '/webjars/stomp__stompjs/7.0.0/esm6/index.js';
import { freshToken } from './session.js';

const ENDPOINT = '/ws/events';
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 60_000;

/** 'off' (not started), 'connecting', 'live' or 'unavailable'. */
let status = 'off';
let client = null;
let retryMs = FIRST_RETRY_MS;
const statusListeners = new Set();
/** destination -> Set of handlers; subscriptions are made again after every reconnect. */
const wanted = new Map();
/** destination -> active STOMP subscription of the current connection. */
const active = new Map();

export function liveStatus() {
    return status;
}

export function isLive() {
    return status === 'live';
}

/** `listener(status)` on every change; returns a function that removes it. */
export function onLiveStatus(listener) {
    statusListeners.add(listener);
    return () => statusListeners.delete(listener);
}

/** Connects (and keeps reconnecting with backoff) until `stopLive`. */
export function startLive() {
    if (client) {
        return;
    }
    retryMs = FIRST_RETRY_MS;
    setStatus('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    client = new Client({
        brokerURL: `${scheme}//${location.host}${ENDPOINT}`,
        reconnectDelay: retryMs,
        heartbeatIncoming: 20_000,
        heartbeatOutgoing: 20_000,
        // Nothing of the protocol is logged: frames carry the bearer token.
        debug: () => {},
        beforeConnect: async () => {
            const token = await freshToken().catch(() => null);
            client.connectHeaders = token ? { Authorization: `Bearer ${token}` } : {};
        },
        onConnect: () => {
            retryMs = FIRST_RETRY_MS;
            client.reconnectDelay = retryMs;
            active.clear();
            for (const destination of wanted.keys()) {
                subscribeNow(destination);
            }
            setStatus('live');
        },
        // A refused CONNECT (ERROR frame) is followed by a close, which schedules the next try.
        onStompError: () => setStatus('unavailable'),
        onWebSocketClose: () => unavailable()
    });
    client.activate();
}

export function stopLive() {
    const current = client;
    client = null;
    active.clear();
    wanted.clear();
    if (current) {
        current.deactivate().catch(() => {});
    }
    setStatus('off');
}

/**
 * Calls `handler(body)` with the parsed JSON of every message to `destination`, now or after the next (re)connect.
 * Returns a function that unsubscribes.
 */
export function subscribe(destination, handler) {
    let handlers = wanted.get(destination);
    if (!handlers) {
        handlers = new Set();
        wanted.set(destination, handlers);
        if (status === 'live') {
            subscribeNow(destination);
        }
    }
    handlers.add(handler);
    return () => {
        handlers.delete(handler);
        if (handlers.size === 0 && wanted.get(destination) === handlers) {
            wanted.delete(destination);
            const subscription = active.get(destination);
            active.delete(destination);
            if (subscription && status === 'live') {
                try {
                    subscription.unsubscribe();
                } catch {
                    // the connection is closing anyway
                }
            }
        }
    };
}

function subscribeNow(destination) {
    const subscription = client.subscribe(destination, message => {
        let body;
        try {
            body = JSON.parse(message.body);
        } catch {
            return;
        }
        for (const handler of wanted.get(destination) ?? []) {
            try {
                handler(body);
            } catch (error) {
                console.error('Live update handler failed for', destination, error);
            }
        }
    });
    active.set(destination, subscription);
}

function unavailable() {
    if (!client) {
        return;
    }
    active.clear();
    // Back off: the endpoint may simply not exist yet (older task-service), which is no reason to hammer it.
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    client.reconnectDelay = retryMs;
    setStatus('unavailable');
}

function setStatus(next) {
    if (status === next) {
        return;
    }
    status = next;
    for (const listener of statusListeners) {
        listener(status);
    }
}
