package dev.taskmesh.task.lifecycle;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;

/**
 * Which live destinations people are subscribed to right now, so that a change nobody watches is not turned into
 * messages: most tasks run with no page open on them, and each message costs its JSON and a trip through the broker.
 * The people's STOMP interceptor reports each subscription it lets through and each UNSUBSCRIBE; a session's
 * subscriptions end with it. Counting errs on the side of sending: a subscription is counted before the broker
 * registers it, so an update is never skipped while someone is subscribing.
 */
@Component
public class LiveSubscriptions {

    private static final String USER_PREFIX = "/user";

    /** Per session, its subscriptions: subscription id to the key counted in {@link #counts}. */
    private final Map<String, Map<String, String>> sessions = new ConcurrentHashMap<>();
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    /**
     * A subscription let through: {@code destination} as the client sent it ({@code /topic/...}, or
     * {@code /user/queue/...} for the user's own queue).
     */
    public void subscribed(String sessionId, String subscriptionId, String destination, String user) {
        String key = destination.startsWith(USER_PREFIX) ? userKey(user, destination.substring(USER_PREFIX.length()))
                : destination;
        String previous = sessions.computeIfAbsent(sessionId, id -> new ConcurrentHashMap<>()).put(subscriptionId, key);
        if (previous != null) {
            release(previous);
        }
        counts.merge(key, 1, Integer::sum);
    }

    public void unsubscribed(String sessionId, String subscriptionId) {
        Map<String, String> subscriptions = sessions.get(sessionId);
        String key = subscriptions == null ? null : subscriptions.remove(subscriptionId);
        if (key != null) {
            release(key);
        }
    }

    @EventListener
    void onDisconnect(SessionDisconnectEvent event) {
        Map<String, String> subscriptions = sessions.remove(event.getSessionId());
        if (subscriptions != null) {
            subscriptions.values().forEach(this::release);
        }
    }

    /** Whether anyone is subscribed to this topic. */
    public boolean watched(String topic) {
        return counts.containsKey(topic);
    }

    /** Whether the user is subscribed to their own queue {@code destination} (as passed to convertAndSendToUser). */
    public boolean watchedBy(String user, String destination) {
        return counts.containsKey(userKey(user, destination));
    }

    private void release(String key) {
        counts.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
    }

    private static String userKey(@Nullable String user, String destination) {
        return USER_PREFIX + destination + "|" + user;
    }
}
