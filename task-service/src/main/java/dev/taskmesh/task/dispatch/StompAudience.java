package dev.taskmesh.task.dispatch;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;

/**
 * Who a STOMP session is for, fixed by the endpoint its WebSocket handshake came through and kept in the session's
 * attributes, which clients cannot set. Agents ({@code /ws/agent}) and people ({@code /ws/events}) share one broker
 * but are authenticated and authorized apart: each channel interceptor handles only its own audience's sessions,
 * and every session not marked as people's is treated as an agent's.
 */
public enum StompAudience {

    AGENTS,
    PEOPLE;

    /** Session attribute holding the audience. */
    public static final String ATTRIBUTE = "taskmesh.audience";

    /** The audience of the message's session: {@link #PEOPLE} only if its handshake marked it so. */
    public static StompAudience of(SimpMessageHeaderAccessor accessor) {
        return of(accessor.getSessionAttributes());
    }

    static StompAudience of(@Nullable Map<String, Object> sessionAttributes) {
        return sessionAttributes != null && sessionAttributes.get(ATTRIBUTE) == PEOPLE ? PEOPLE : AGENTS;
    }
}
