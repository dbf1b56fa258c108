package dev.taskmesh.task.events;

import dev.taskmesh.task.dispatch.StompAudience;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.messaging.simp.config.ChannelRegistration;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;
import org.springframework.web.socket.server.HandshakeInterceptor;

/**
 * People's STOMP endpoint, plain WebSocket at {@value EventDestinations#ENDPOINT}, on the same broker as the agents'
 * endpoint (configured by {@code AgentWebSocketConfiguration}). Its handshake marks each session as
 * {@link StompAudience#PEOPLE}, which decides which interceptor authenticates it.
 *
 * <p>Any origin may open the WebSocket: the browser reaches it through the gateway, whose forwarded request names
 * another host than the page's origin, and nothing ambient (no cookie) authenticates a session: the access token
 * travels in the CONNECT frame, which a page of another origin does not have.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(EventsProperties.class)
class EventsWebSocketConfiguration implements WebSocketMessageBrokerConfigurer {

    private final PeopleAuthentication authentication;

    EventsWebSocketConfiguration(PeopleAuthentication authentication) {
        this.authentication = authentication;
    }

    @Override
    public void registerStompEndpoints(StompEndpointRegistry registry) {
        registry.addEndpoint(EventDestinations.ENDPOINT)
                .setAllowedOriginPatterns("*")
                .addInterceptors(new PeopleHandshake());
    }

    @Override
    public void configureClientInboundChannel(ChannelRegistration registration) {
        registration.interceptors(authentication);
    }

    /** Marks the session as people's before any STOMP frame arrives. */
    private static final class PeopleHandshake implements HandshakeInterceptor {

        @Override
        public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response,
                                       WebSocketHandler handler, Map<String, Object> attributes) {
            attributes.put(StompAudience.ATTRIBUTE, StompAudience.PEOPLE);
            return true;
        }

        @Override
        public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                                   @Nullable Exception exception) {
            // nothing to undo
        }
    }
}
