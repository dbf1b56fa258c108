package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.support.ServiceSupportConfiguration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.MessageDeliveryException;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.ChannelInterceptor;
import org.springframework.messaging.support.MessageHeaderAccessor;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.stereotype.Component;

/**
 * Authenticates agents at STOMP CONNECT and keeps them to their destinations afterwards. The WebSocket handshake is
 * public; the CONNECT frame must carry {@code Authorization: Bearer <worker JWT>} and a {@code worker-id} header
 * equal to the token's subject. The session's user is then the worker id. After CONNECT an agent may only SEND to
 * {@code /app/agent/**} and SUBSCRIBE to its own queues (assignments, cancellations, receipts, errors,
 * submissions, children, and the batch queues). The CONNECT header {@value AgentDestinations#FEATURES_HEADER} is
 * kept in the session's attributes. Anything
 * refused ends the session with an ERROR frame. Sessions of people ({@link StompAudience#PEOPLE}, from
 * {@code /ws/events}) are left to their own interceptor.
 */
@Component
class AgentAuthentication implements ChannelInterceptor {

    /** Session attribute: when the session's CONNECT was accepted. */
    static final String CONNECTED_AT = "taskmesh.connectedAt";
    /** Session attribute: the optional protocol features the agent announced at CONNECT, a {@code Set<String>}. */
    static final String FEATURES = "taskmesh.features";
    private static final String BEARER = "Bearer ";
    private static final String AGENT_SENDS = "/app/agent/";
    private static final Set<String> AGENT_SUBSCRIBES = Set.of(
            AgentDestinations.USER_PREFIX + AgentDestinations.ASSIGNMENTS,
            AgentDestinations.USER_PREFIX + AgentDestinations.ASSIGNMENT_BATCHES,
            AgentDestinations.USER_PREFIX + AgentDestinations.RECEIPT_BATCHES,
            AgentDestinations.USER_PREFIX + AgentDestinations.CANCELLATIONS,
            AgentDestinations.USER_PREFIX + AgentDestinations.RECEIPTS,
            AgentDestinations.USER_PREFIX + AgentDestinations.ERRORS,
            AgentDestinations.USER_PREFIX + AgentDestinations.SUBMISSIONS,
            AgentDestinations.USER_PREFIX + AgentDestinations.CHILDREN);

    private final JwtDecoder jwtDecoder;

    AgentAuthentication(JwtDecoder jwtDecoder) {
        this.jwtDecoder = jwtDecoder;
    }

    @Override
    public Message<?> preSend(Message<?> message, MessageChannel channel) {
        StompHeaderAccessor accessor = MessageHeaderAccessor.getAccessor(message, StompHeaderAccessor.class);
        if (accessor == null || accessor.getCommand() == null || StompAudience.of(accessor) == StompAudience.PEOPLE) {
            return message;
        }
        StompCommand command = accessor.getCommand();
        switch (command) {
            case CONNECT, STOMP -> {
                accessor.setUser(authenticate(accessor));
                Map<String, Object> attributes = accessor.getSessionAttributes();
                if (attributes != null) {
                    attributes.put(CONNECTED_AT, Instant.now());
                    attributes.put(FEATURES,
                            features(accessor.getFirstNativeHeader(AgentDestinations.FEATURES_HEADER)));
                }
            }
            case SEND -> requireDestination(accessor, AGENT_SENDS, "send to");
            case SUBSCRIBE -> requireSubscription(accessor);
            default -> {
                // UNSUBSCRIBE, DISCONNECT, ACK and the like concern only the session itself
            }
        }
        return message;
    }

    private AbstractAuthenticationToken authenticate(StompHeaderAccessor accessor) {
        String authorization = accessor.getFirstNativeHeader(AgentDestinations.AUTHORIZATION_HEADER);
        // Spring logs a refused frame with its headers: the token must not be among them
        accessor.removeNativeHeader(AgentDestinations.AUTHORIZATION_HEADER);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw refused("CONNECT needs an 'Authorization: Bearer <worker token>' header");
        }
        Jwt jwt;
        try {
            jwt = jwtDecoder.decode(authorization.substring(BEARER.length()).trim());
        } catch (JwtException e) {
            throw refused("CONNECT refused: the bearer token is invalid or expired");
        }
        List<String> roles = jwt.getClaimAsStringList(Claims.ROLES);
        if (roles == null || !roles.contains(Claims.ROLE_WORKER)) {
            throw refused("CONNECT refused: only worker tokens may connect here");
        }
        String workerId = accessor.getFirstNativeHeader(AgentDestinations.WORKER_ID_HEADER);
        if (workerId == null || !workerId.equals(jwt.getSubject())) {
            throw refused("CONNECT refused: the '" + AgentDestinations.WORKER_ID_HEADER
                    + "' header must equal the worker id the token was issued to");
        }
        AbstractAuthenticationToken authentication = ServiceSupportConfiguration.rolesFromClaim().convert(jwt);
        if (authentication == null) {
            throw refused("CONNECT refused: the token carries no identity");
        }
        return authentication;
    }

    /** The announced features, unknown ones included: they are simply never asked for. */
    static Set<String> features(@Nullable String header) {
        if (header == null || header.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(header.split(",")).map(String::trim).filter(f -> !f.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    private static void requireDestination(StompHeaderAccessor accessor, String prefix, String verb) {
        if (accessor.getUser() == null) {
            throw refused("Not connected");
        }
        @Nullable String destination = accessor.getDestination();
        if (destination == null || !destination.startsWith(prefix) || destination.contains("..")) {
            throw refused("Agents may not " + verb + " " + destination);
        }
    }

    private static void requireSubscription(StompHeaderAccessor accessor) {
        if (accessor.getUser() == null) {
            throw refused("Not connected");
        }
        @Nullable String destination = accessor.getDestination();
        if (destination == null || !AGENT_SUBSCRIBES.contains(destination)) {
            throw refused("Agents may not subscribe to " + destination);
        }
    }

    /** Without the refused message attached, so that no header of it (the token) reaches a log. */
    private static MessageDeliveryException refused(String reason) {
        return new MessageDeliveryException(reason);
    }
}
