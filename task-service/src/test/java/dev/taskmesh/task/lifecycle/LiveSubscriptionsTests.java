package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;

class LiveSubscriptionsTests {

    private final LiveSubscriptions live = new LiveSubscriptions();

    @Test
    void aTopicIsWatchedWhileAnySubscriptionToItLasts() {
        live.subscribed("s1", "sub-0", "/topic/tasks/t1", "alice");
        live.subscribed("s2", "sub-0", "/topic/tasks/t1", "bob");

        live.unsubscribed("s1", "sub-0");
        assertThat(live.watched("/topic/tasks/t1")).isTrue();
        live.unsubscribed("s2", "sub-0");
        assertThat(live.watched("/topic/tasks/t1")).isFalse();
        assertThat(live.watched("/topic/tasks/t2")).isFalse();
    }

    @Test
    void aUserQueueIsWatchedOnlyByThatUser() {
        live.subscribed("s1", "sub-0", "/user/queue/tasks", "alice");

        assertThat(live.watchedBy("alice", "/queue/tasks")).isTrue();
        assertThat(live.watchedBy("bob", "/queue/tasks")).isFalse();
        assertThat(live.watched("/queue/tasks")).isFalse();
    }

    @Test
    void aClosedSessionEndsAllItsSubscriptionsAndAReusedIdReplacesTheOldOne() {
        live.subscribed("s1", "sub-0", "/topic/tasks", "admin");
        live.subscribed("s1", "sub-1", "/topic/workers", "admin");
        live.subscribed("s1", "sub-1", "/topic/tasks/t1", "admin");
        assertThat(live.watched("/topic/workers")).as("sub-1 now names another destination").isFalse();

        live.onDisconnect(disconnect("s1"));

        assertThat(live.watched("/topic/tasks")).isFalse();
        assertThat(live.watched("/topic/tasks/t1")).isFalse();
        live.unsubscribed("s1", "sub-0"); // after the close: nothing to release, nothing goes negative
        live.subscribed("s2", "sub-0", "/topic/tasks", "admin");
        assertThat(live.watched("/topic/tasks")).isTrue();
    }

    private static SessionDisconnectEvent disconnect(String sessionId) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create();
        headers.setSessionId(sessionId);
        headers.setSessionAttributes(Map.of());
        return new SessionDisconnectEvent(new Object(), MessageBuilder.createMessage(new byte[0],
                headers.getMessageHeaders()), sessionId, CloseStatus.NORMAL);
    }
}
