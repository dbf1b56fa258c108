package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.support.PublicPaths;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SyncTaskExecutor;
import org.springframework.messaging.simp.config.ChannelRegistration;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.web.socket.config.annotation.EnableWebSocketMessageBroker;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketTransportRegistration;

/**
 * The agents' STOMP endpoint: plain WebSocket at {@value AgentDestinations#ENDPOINT}, commands under {@code /app},
 * the in-process broker for {@code /queue} and {@code /topic}, and per-agent queues under {@code /user}.
 *
 * <p>Inbound frames are handled on the (virtual) thread that read them from the socket, one after the other: the
 * messages of one agent are handled in the order it sent them (started before progress before complete), a slow
 * agent only slows itself, and a frame the {@link AgentAuthentication} refuses reaches the STOMP handler as an error,
 * which answers with an ERROR frame and closes the session.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocketMessageBroker
@EnableConfigurationProperties(DispatchProperties.class)
class AgentWebSocketConfiguration implements WebSocketMessageBrokerConfigurer {

    /** Large enough for a batch of 500 log lines or a completion listing many files. */
    private static final int MESSAGE_SIZE_LIMIT = 1024 * 1024;

    private final AgentAuthentication authentication;

    AgentWebSocketConfiguration(AgentAuthentication authentication) {
        this.authentication = authentication;
    }

    /** The HTTP handshake is public: agents authenticate in the STOMP CONNECT frame. */
    @Bean
    static PublicPaths agentHandshake() {
        return PublicPaths.of("/ws/**");
    }

    @Override
    public void registerStompEndpoints(StompEndpointRegistry registry) {
        registry.addEndpoint(AgentDestinations.ENDPOINT);
    }

    @Override
    public void configureMessageBroker(MessageBrokerRegistry registry) {
        registry.enableSimpleBroker("/queue", "/topic");
        registry.setApplicationDestinationPrefixes("/app");
        registry.setUserDestinationPrefix(AgentDestinations.USER_PREFIX);
        registry.setPreservePublishOrder(true);
    }

    @Override
    public void configureClientInboundChannel(ChannelRegistration registration) {
        registration.executor(new SyncTaskExecutor()).interceptors(authentication);
    }

    @Override
    public void configureWebSocketTransport(WebSocketTransportRegistration registration) {
        registration.setMessageSizeLimit(MESSAGE_SIZE_LIMIT);
        registration.setSendBufferSizeLimit(4 * MESSAGE_SIZE_LIMIT);
    }
}
