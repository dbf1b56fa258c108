package dev.taskmesh.agent;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.ChildSubmission;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.CompletionReceipts;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskCompletions;
import dev.taskmesh.contract.agent.TaskLog;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.server.WsSci;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.simp.SimpMessagingTemplate;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.ChannelInterceptor;
import org.springframework.messaging.support.MessageHeaderAccessor;
import org.springframework.stereotype.Controller;
import org.springframework.web.context.support.AnnotationConfigWebApplicationContext;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocketMessageBroker;
import org.springframework.messaging.simp.config.ChannelRegistration;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketTransportRegistration;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;
import tools.jackson.databind.JsonNode;

/**
 * A real Spring STOMP server on embedded Tomcat that records what the agent sends: the task-service side reduced to
 * recording, with receipts for completions. It checks that the agent interoperates with Spring's STOMP stack (user
 * destinations, JSON bodies, frames split over several WebSocket messages); the task-service's behaviour is tested
 * in the task-service.
 */
final class FakeTaskServiceServer implements AutoCloseable {

    /** One SEND the server handled, in the order received. */
    record Received(String destination, Object payload) {
    }

    static final List<Received> received = new CopyOnWriteArrayList<>();
    static final List<Map<String, List<String>>> connectHeaders = new CopyOnWriteArrayList<>();
    static final List<WebSocketSession> sessions = new CopyOnWriteArrayList<>();
    static final AtomicBoolean answerCompletions = new AtomicBoolean(true);
    /** A child of this type is refused, as the task-service refuses an invalid task. */
    static final String REFUSED_CHILD_TYPE = "refuse-me";

    private final Tomcat tomcat;
    private final AnnotationConfigWebApplicationContext context;

    FakeTaskServiceServer(Path baseDir) throws LifecycleException, IOException {
        received.clear();
        connectHeaders.clear();
        sessions.clear();
        answerCompletions.set(true);
        tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createDirectories(baseDir).toString());
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context servletContext = tomcat.addContext("", baseDir.toString());
        servletContext.addServletContainerInitializer(new WsSci(), null);
        context = new AnnotationConfigWebApplicationContext();
        context.register(StompConfig.class);
        Tomcat.addServlet(servletContext, "dispatcher", new DispatcherServlet(context)).setLoadOnStartup(1);
        servletContext.addServletMappingDecoded("/", "dispatcher");
        tomcat.start();
    }

    String url() {
        return "http://127.0.0.1:" + tomcat.getConnector().getLocalPort();
    }

    SimpMessagingTemplate template() {
        return context.getBean(SimpMessagingTemplate.class);
    }

    /** Closes the agents' WebSocket sessions from the server side, as a network drop would. */
    static void dropConnections() throws IOException {
        for (WebSocketSession session : sessions) {
            if (session.isOpen()) {
                session.close(CloseStatus.GOING_AWAY);
            }
        }
    }

    /** The id the server gives the child of a submission: the same for every resend of it. */
    static UUID childIdOf(String requestId) {
        return UUID.nameUUIDFromBytes(requestId.getBytes(StandardCharsets.UTF_8));
    }

    static <T> List<T> receivedOf(Class<T> type) {
        return received.stream().map(Received::payload).filter(type::isInstance).map(type::cast).toList();
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }

    @Configuration
    @EnableWebSocketMessageBroker
    static class StompConfig implements WebSocketMessageBrokerConfigurer {

        @Override
        public void registerStompEndpoints(StompEndpointRegistry registry) {
            registry.addEndpoint(AgentDestinations.ENDPOINT);
            registry.setPreserveReceiveOrder(true);
        }

        @Override
        public void configureMessageBroker(MessageBrokerRegistry registry) {
            registry.enableSimpleBroker("/queue");
            registry.setApplicationDestinationPrefixes("/app");
            registry.setUserDestinationPrefix(AgentDestinations.USER_PREFIX);
            // as the task-service: a session gets its messages in the order they were sent, whatever their queue
            // (a test that sends a cancellation and then a STALE_ATTEMPT relies on it)
            registry.setPreservePublishOrder(true);
        }

        @Override
        public void configureWebSocketTransport(WebSocketTransportRegistration registration) {
            registration.setMessageSizeLimit(1024 * 1024);
            registration.addDecoratorFactory(handler -> new WebSocketHandlerDecorator(handler) {
                @Override
                public void afterConnectionEstablished(WebSocketSession session) throws Exception {
                    sessions.add(session);
                    super.afterConnectionEstablished(session);
                }
            });
        }

        @Override
        public void configureClientInboundChannel(ChannelRegistration registration) {
            registration.interceptors(new ChannelInterceptor() {
                @Override
                public Message<?> preSend(Message<?> message, MessageChannel channel) {
                    StompHeaderAccessor accessor = MessageHeaderAccessor.getAccessor(message, StompHeaderAccessor.class);
                    if (accessor != null && StompCommand.CONNECT.equals(accessor.getCommand())) {
                        connectHeaders.add(accessor.toNativeHeaderMap());
                        String workerId = accessor.getFirstNativeHeader(AgentDestinations.WORKER_ID_HEADER);
                        Principal worker = () -> workerId;
                        accessor.setUser(worker);
                    }
                    return message;
                }
            });
        }

        @Override
        public boolean configureMessageConverters(List<MessageConverter> messageConverters) {
            messageConverters.add(new JacksonJsonMessageConverter(WireJson.mapper()));
            return false;
        }

        @Bean
        AgentEndpoints agentEndpoints(SimpMessagingTemplate template) {
            return new AgentEndpoints(template);
        }
    }

    @Controller
    static class AgentEndpoints {

        private final SimpMessagingTemplate template;

        AgentEndpoints(SimpMessagingTemplate template) {
            this.template = template;
        }

        @MessageMapping("/agent/heartbeat")
        void heartbeat(Heartbeat heartbeat) {
            received.add(new Received(AgentDestinations.HEARTBEAT, heartbeat));
        }

        @MessageMapping("/agent/started")
        void started(TaskStarted started) {
            received.add(new Received(AgentDestinations.STARTED, started));
        }

        @MessageMapping("/agent/progress")
        void progress(TaskProgress progress) {
            received.add(new Received(AgentDestinations.PROGRESS, progress));
        }

        @MessageMapping("/agent/log")
        void log(TaskLog log) {
            received.add(new Received(AgentDestinations.LOG, log));
        }

        @MessageMapping("/agent/submit")
        void submit(ChildSubmission submission, Principal worker) {
            received.add(new Received(AgentDestinations.SUBMIT, submission));
            JsonNode type = submission.task().get("type");
            ChildSubmitted answer = type != null && type.isString() && REFUSED_CHILD_TYPE.equals(type.asString())
                    ? new ChildSubmitted(submission.requestId(), null, "input.argv must be a non-empty array")
                    : new ChildSubmitted(submission.requestId(), childIdOf(submission.requestId()), null);
            template.convertAndSendToUser(worker.getName(), AgentDestinations.SUBMISSIONS, answer);
        }

        /** A batch is answered with a batch of receipts, as the task-service answers an agent that speaks batches. */
        @MessageMapping("/agent/complete-batch")
        void completeBatch(TaskCompletions batch, Principal worker) {
            batch.completions().forEach(c -> received.add(new Received(AgentDestinations.COMPLETE_BATCH, c)));
            if (answerCompletions.get()) {
                template.convertAndSendToUser(worker.getName(), AgentDestinations.RECEIPT_BATCHES,
                        new CompletionReceipts(batch.completions().stream()
                                .map(c -> new CompletionReceipt(c.taskId(), c.attempt(), true, null)).toList()));
            }
        }

        @MessageMapping("/agent/complete")
        void complete(TaskCompletion completion, Principal worker) {
            received.add(new Received(AgentDestinations.COMPLETE, completion));
            if (answerCompletions.get()) {
                template.convertAndSendToUser(worker.getName(), AgentDestinations.RECEIPTS,
                        new CompletionReceipt(completion.taskId(), completion.attempt(), true, null));
            }
        }
    }
}
