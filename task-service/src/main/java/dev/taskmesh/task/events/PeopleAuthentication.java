package dev.taskmesh.task.events;

import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.support.ServiceSupportConfiguration;
import dev.taskmesh.task.dispatch.StompAudience;
import dev.taskmesh.task.lifecycle.LiveSubscriptions;
import dev.taskmesh.task.lifecycle.TaskQueries;
import java.security.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.MessageDeliveryException;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.ChannelInterceptor;
import org.springframework.messaging.support.MessageHeaderAccessor;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.stereotype.Component;

/**
 * Authenticates people at STOMP CONNECT on {@code /ws/events} and authorizes each of their SUBSCRIBE frames; only
 * sessions of {@link StompAudience#PEOPLE} are handled here (agents' are {@code AgentAuthentication}'s).
 *
 * <ul>
 *   <li>CONNECT must carry {@code Authorization: Bearer <access token>} of a USER or ADMIN; worker tokens are
 *       refused. The session's user is then the user id ({@code sub}).</li>
 *   <li>SEND is refused except to {@value EventDestinations#SUBMIT} (a submission, while the session's token is
 *       valid): {@code /app/agent/**} is for agents.</li>
 *   <li>SUBSCRIBE is denied unless the destination is one of {@code docs/events.md}, exactly (no patterns). A task's
 *       topics and snapshot need the task's owner or an admin, checked in the database; {@code /topic/tasks} needs
 *       an admin.</li>
 * </ul>
 *
 * <p>A subscription refused for authorization (someone else's task, an unknown task, an admin-only destination)
 * is dropped and answered with an {@link EventError} on {@code /user/queue/errors}; the session stays open, so a
 * page keeps its other subscriptions. Anything else refused (no or bad token, a SEND, a destination that does not
 * exist, a SUBSCRIBE after the token expired) ends the session with an ERROR frame.
 */
@Component
class PeopleAuthentication implements ChannelInterceptor {

    /** Session attribute: when the token presented at CONNECT expires. */
    static final String EXPIRES_AT = "taskmesh.expiresAt";
    private static final String BEARER = "Bearer ";
    private static final String ROLE_ADMIN = "ROLE_" + Claims.ROLE_ADMIN;
    private static final Pattern TASK_TOPIC = Pattern.compile("/topic/tasks/([0-9a-f-]{36})(/log)?");
    private static final Pattern TASK_SNAPSHOT = Pattern.compile("/app/tasks/([0-9a-f-]{36})");
    private static final List<String> OPEN_TO_EVERY_PERSON = List.of(EventDestinations.MY_TASKS,
            EventDestinations.ERRORS, EventDestinations.SUBMISSIONS, EventDestinations.WORKERS,
            EventDestinations.WORKERS_SNAPSHOT);

    private final JwtDecoder jwtDecoder;
    private final TaskQueries tasks;
    private final LiveSubscriptions live;
    /** Lazily: the messaging template is built from the configuration this interceptor is part of. */
    private final ObjectProvider<SimpMessageSendingOperations> messaging;

    PeopleAuthentication(JwtDecoder jwtDecoder, TaskQueries tasks, LiveSubscriptions live,
                         ObjectProvider<SimpMessageSendingOperations> messaging) {
        this.jwtDecoder = jwtDecoder;
        this.tasks = tasks;
        this.live = live;
        this.messaging = messaging;
    }

    @Override
    public @Nullable Message<?> preSend(Message<?> message, MessageChannel channel) {
        StompHeaderAccessor accessor = MessageHeaderAccessor.getAccessor(message, StompHeaderAccessor.class);
        if (accessor == null || accessor.getCommand() == null || StompAudience.of(accessor) != StompAudience.PEOPLE) {
            return message;
        }
        return switch (accessor.getCommand()) {
            case CONNECT, STOMP -> {
                connect(accessor);
                yield message;
            }
            case SEND -> {
                if (!EventDestinations.SUBMIT.equals(accessor.getDestination())) {
                    throw refused("People may not send to " + accessor.getDestination() + "; the only destination"
                            + " for SEND here is " + EventDestinations.SUBMIT);
                }
                requireValidToken(accessor);
                yield message;
            }
            case SUBSCRIBE -> {
                Message<?> allowed = subscribe(accessor, message);
                if (allowed != null) {
                    counted(accessor);
                }
                yield allowed;
            }
            case UNSUBSCRIBE -> {
                if (accessor.getSessionId() != null && accessor.getSubscriptionId() != null) {
                    live.unsubscribed(accessor.getSessionId(), accessor.getSubscriptionId());
                }
                yield message;
            }
            default -> message; // DISCONNECT, ACK and the like concern only the session itself
        };
    }

    private void connect(StompHeaderAccessor accessor) {
        String authorization = accessor.getFirstNativeHeader(AgentDestinations.AUTHORIZATION_HEADER);
        // Spring logs a refused frame with its headers: the token must not be among them
        accessor.removeNativeHeader(AgentDestinations.AUTHORIZATION_HEADER);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw refused("CONNECT needs an 'Authorization: Bearer <access token>' header");
        }
        Jwt jwt;
        try {
            jwt = jwtDecoder.decode(authorization.substring(BEARER.length()).trim());
        } catch (JwtException e) {
            throw refused("CONNECT refused: the bearer token is invalid or expired");
        }
        List<String> roles = jwt.getClaimAsStringList(Claims.ROLES);
        if (roles == null || roles.contains(Claims.ROLE_WORKER)
                || !roles.contains(Claims.ROLE_USER) && !roles.contains(Claims.ROLE_ADMIN)) {
            throw refused("CONNECT refused: only user and admin tokens may connect to " + EventDestinations.ENDPOINT
                    + "; agents use " + AgentDestinations.ENDPOINT);
        }
        AbstractAuthenticationToken authentication = ServiceSupportConfiguration.rolesFromClaim().convert(jwt);
        if (authentication == null || jwt.getSubject() == null) {
            throw refused("CONNECT refused: the token carries no identity");
        }
        accessor.setUser(authentication);
        Map<String, Object> attributes = accessor.getSessionAttributes();
        if (attributes != null && jwt.getExpiresAt() != null) {
            attributes.put(EXPIRES_AT, jwt.getExpiresAt());
        }
    }

    private @Nullable Message<?> subscribe(StompHeaderAccessor accessor, Message<?> message) {
        Principal user = requireValidToken(accessor);
        String destination = String.valueOf(accessor.getDestination());
        if (OPEN_TO_EVERY_PERSON.contains(destination)) {
            return message;
        }
        if (EventDestinations.ALL_TASKS.equals(destination)) {
            return isAdmin(user) ? message
                    : refuse(accessor, user, EventError.FORBIDDEN, "Only admins may subscribe to " + destination);
        }
        Optional<UUID> taskId = taskOf(destination);
        if (taskId.isEmpty()) {
            throw refused("No such destination for people: " + destination);
        }
        Optional<String> owner = tasks.ownerOf(taskId.get());
        if (owner.isEmpty()) {
            return refuse(accessor, user, EventError.NOT_FOUND, "No task " + taskId.get());
        }
        if (!owner.get().equals(user.getName()) && !isAdmin(user)) {
            return refuse(accessor, user, EventError.FORBIDDEN, "Task " + taskId.get() + " belongs to another user");
        }
        return message;
    }

    /** The session's user, as long as the token it connected with has not expired. */
    private static Principal requireValidToken(StompHeaderAccessor accessor) {
        Principal user = accessor.getUser();
        if (user == null) {
            throw refused("Not connected");
        }
        Map<String, Object> attributes = accessor.getSessionAttributes();
        Object expiresAt = attributes == null ? null : attributes.get(EXPIRES_AT);
        if (expiresAt instanceof Instant at && !Instant.now().isBefore(at)) {
            throw refused("The access token of this session has expired; connect again with a fresh one");
        }
        return user;
    }

    /** Broker destinations (not the snapshots under /app) count as watched from now on. */
    private void counted(StompHeaderAccessor accessor) {
        String destination = accessor.getDestination();
        Principal user = accessor.getUser();
        if (destination != null && !destination.startsWith("/app/") && user != null && accessor.getSessionId() != null
                && accessor.getSubscriptionId() != null) {
            live.subscribed(accessor.getSessionId(), accessor.getSubscriptionId(), destination, user.getName());
        }
    }

    /** The task of {@code /topic/tasks/{id}}, {@code /topic/tasks/{id}/log} or {@code /app/tasks/{id}}. */
    static Optional<UUID> taskOf(String destination) {
        Matcher topic = TASK_TOPIC.matcher(destination);
        Matcher snapshot = TASK_SNAPSHOT.matcher(destination);
        String id = topic.matches() ? topic.group(1) : snapshot.matches() ? snapshot.group(1) : null;
        if (id == null) {
            return Optional.empty();
        }
        try {
            UUID uuid = UUID.fromString(id);
            // only the canonical form: the server publishes to exactly that destination
            return uuid.toString().equals(id) ? Optional.of(uuid) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static boolean isAdmin(Principal user) {
        return user instanceof Authentication authentication && authentication.getAuthorities().stream()
                .anyMatch(authority -> ROLE_ADMIN.equals(authority.getAuthority()));
    }

    /** Drops the SUBSCRIBE and tells this session why; its other subscriptions go on. */
    private @Nullable Message<?> refuse(StompHeaderAccessor accessor, Principal user, String code, String reason) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
        headers.setSessionId(accessor.getSessionId());
        headers.setLeaveMutable(true);
        messaging.getObject().convertAndSendToUser(user.getName(), EventDestinations.ERRORS_QUEUE,
                new EventError(code, reason, accessor.getDestination(), accessor.getSubscriptionId()),
                headers.getMessageHeaders());
        return null;
    }

    /** Without the refused message attached, so that no header of it (the token) reaches a log. */
    private static MessageDeliveryException refused(String reason) {
        return new MessageDeliveryException(reason);
    }
}
