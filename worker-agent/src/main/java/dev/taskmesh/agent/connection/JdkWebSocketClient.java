package dev.taskmesh.agent.connection;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PingMessage;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketExtension;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.AbstractWebSocketSession;
import org.springframework.web.socket.client.AbstractWebSocketClient;

/**
 * Spring's {@code WebSocketClient} on the JDK's WebSocket ({@code java.net.http}), for the agent's STOMP session.
 * Messages reach the handler on the thread that read them from the socket. Tomcat's client, which this replaced,
 * polls the socket on one thread and hands each message to a pool thread: two more thread wake-ups for every
 * assignment the agent receives, on the path of every task.
 *
 * <p>Sends are one at a time (the JDK's WebSocket refuses a send while another is under way) and each returns once
 * its message is written, as Tomcat's blocking sends did; except a send made while a received message is handled, on
 * the thread that read it: that thread also completes the writes, so such a send is queued behind the others and
 * returns at once (a failed one aborts the connection). A message longer than {@code inboundLimit} closes the session
 * with 1009 (too big).
 */
final class JdkWebSocketClient extends AbstractWebSocketClient {

    /** How long a send may wait to be written (Tomcat's blocking sends waited as long). */
    private static final Duration SEND_LIMIT = Duration.ofSeconds(20);

    private final HttpClient http;
    private final int inboundLimit;

    JdkWebSocketClient(Duration connectTimeout, int inboundLimit) {
        // the listener only gathers a message and passes it on: it may run on the thread that read it
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).executor(Runnable::run).build();
        this.inboundLimit = inboundLimit;
    }

    @Override
    protected CompletableFuture<WebSocketSession> executeInternal(WebSocketHandler handler, HttpHeaders headers,
                                                                  URI uri, List<String> subProtocols,
                                                                  List<WebSocketExtension> extensions,
                                                                  Map<String, Object> attributes) {
        JdkSession session = new JdkSession(uri, headers, attributes, handler, inboundLimit);
        WebSocket.Builder builder = http.newWebSocketBuilder();
        headers.forEach((name, values) -> values.forEach(value -> builder.header(name, value)));
        if (!subProtocols.isEmpty()) {
            builder.subprotocols(subProtocols.getFirst(),
                    subProtocols.subList(1, subProtocols.size()).toArray(String[]::new));
        }
        return builder.buildAsync(uri, session.listener).thenApply(socket -> {
            session.initializeNativeSession(socket);
            // this may run on the thread that completes writes: what the handler sends now is queued, as in a delivery
            session.delivering = Thread.currentThread();
            try {
                handler.afterConnectionEstablished(session);
            } catch (Exception e) {
                socket.abort();
                throw new CompletionException(e);
            } finally {
                session.delivering = null;
            }
            socket.request(1);
            return session;
        });
    }

    /** One connection: Spring's view of the JDK's WebSocket, and the listener that feeds the handler. */
    private static final class JdkSession extends AbstractWebSocketSession<WebSocket> {

        private final String id = idGenerator.generateId().toString();
        private final URI uri;
        private final HttpHeaders handshakeHeaders;
        private final WebSocketHandler handler;
        private final Listener listener;
        private final Object sendLock = new Object();
        /** The last send; each next one starts when it is done. */
        private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);
        /** The thread handing a received message (or the new session) to the handler, while it does. */
        private volatile @Nullable Thread delivering;
        private volatile boolean closed;
        private int textLimit;
        private int binaryLimit;

        JdkSession(URI uri, HttpHeaders handshakeHeaders, Map<String, Object> attributes, WebSocketHandler handler,
                   int inboundLimit) {
            super(attributes);
            this.uri = uri;
            this.handshakeHeaders = handshakeHeaders;
            this.handler = handler;
            this.textLimit = inboundLimit;
            this.binaryLimit = inboundLimit;
            this.listener = new Listener();
        }

        @Override
        public String getId() {
            return id;
        }

        @Override
        public URI getUri() {
            return uri;
        }

        @Override
        public HttpHeaders getHandshakeHeaders() {
            return handshakeHeaders;
        }

        @Override
        public @Nullable Principal getPrincipal() {
            return null;
        }

        @Override
        public @Nullable InetSocketAddress getLocalAddress() {
            return null;
        }

        @Override
        public @Nullable InetSocketAddress getRemoteAddress() {
            return null;
        }

        @Override
        public @Nullable String getAcceptedProtocol() {
            String protocol = getNativeSession().getSubprotocol();
            return protocol.isEmpty() ? null : protocol;
        }

        @Override
        public void setTextMessageSizeLimit(int limit) {
            textLimit = limit;
        }

        @Override
        public int getTextMessageSizeLimit() {
            return textLimit;
        }

        @Override
        public void setBinaryMessageSizeLimit(int limit) {
            binaryLimit = limit;
        }

        @Override
        public int getBinaryMessageSizeLimit() {
            return binaryLimit;
        }

        @Override
        public List<WebSocketExtension> getExtensions() {
            return List.of();
        }

        @Override
        public boolean isOpen() {
            WebSocket socket = getNativeSession();
            return !closed && !socket.isOutputClosed() && !socket.isInputClosed();
        }

        @Override
        protected void sendTextMessage(TextMessage message) throws IOException {
            send(socket -> socket.sendText(message.getPayload(), message.isLast()));
        }

        @Override
        protected void sendBinaryMessage(BinaryMessage message) throws IOException {
            send(socket -> socket.sendBinary(message.getPayload(), message.isLast()));
        }

        @Override
        protected void sendPingMessage(PingMessage message) throws IOException {
            send(socket -> socket.sendPing(message.getPayload()));
        }

        @Override
        protected void sendPongMessage(PongMessage message) throws IOException {
            send(socket -> socket.sendPong(message.getPayload()));
        }

        private void send(Function<WebSocket, CompletableFuture<WebSocket>> write) throws IOException {
            WebSocket socket = getNativeSession();
            CompletableFuture<?> sent;
            synchronized (sendLock) {
                sent = lastSend.thenCompose(ignored -> write.apply(socket));
                lastSend = sent;
            }
            if (Thread.currentThread() == delivering) {
                sent.whenComplete((ignored, error) -> {
                    if (error != null) {
                        socket.abort();
                    }
                });
                return;
            }
            try {
                sent.get(SEND_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while sending", e);
            } catch (ExecutionException | TimeoutException e) {
                // a connection whose peer stopped reading is of no use: the agent connects again
                socket.abort();
                throw new IOException("WebSocket send failed: " + (e.getCause() != null ? e.getCause() : e), e);
            }
        }

        @Override
        protected void closeInternal(CloseStatus status) throws IOException {
            WebSocket socket = getNativeSession();
            CompletableFuture<?> sent;
            synchronized (sendLock) {
                sent = lastSend.thenCompose(ignored -> socket.sendClose(status.getCode(),
                        status.getReason() == null ? "" : status.getReason()));
                lastSend = sent;
            }
            CompletableFuture<?> bounded = sent.orTimeout(5, TimeUnit.SECONDS)
                    .whenComplete((ignored, error) -> {
                        if (error != null) {
                            socket.abort();
                        }
                    });
            if (Thread.currentThread() != delivering) {
                try {
                    bounded.join();
                } catch (CompletionException e) {
                    // aborted above
                }
            }
            closed(status);
        }

        /** Tells the handler once, whichever side closed first. */
        private void closed(CloseStatus status) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            try {
                handler.afterConnectionClosed(this, status);
            } catch (Exception e) {
                logger.debug("afterConnectionClosed failed", e);
            }
        }

        private final class Listener implements WebSocket.Listener {

            private final StringBuilder text = new StringBuilder();
            private @Nullable ByteBuffer binary;

            /** Nothing is read before the handler knows of the session (the first message is then asked for). */
            @Override
            public void onOpen(WebSocket socket) {
            }

            @Override
            public @Nullable CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                if (text.length() + data.length() > textLimit) {
                    tooBig(socket, "text message over " + textLimit + " characters");
                    return null;
                }
                text.append(data);
                if (last) {
                    String message = text.toString();
                    text.setLength(0);
                    deliver(new TextMessage(message));
                }
                socket.request(1);
                return null;
            }

            @Override
            public @Nullable CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
                ByteBuffer gathered = binary == null ? ByteBuffer.allocate(0) : binary;
                if (gathered.remaining() + data.remaining() > binaryLimit) {
                    tooBig(socket, "binary message over " + binaryLimit + " bytes");
                    return null;
                }
                binary = ByteBuffer.allocate(gathered.remaining() + data.remaining()).put(gathered).put(data).flip();
                if (last) {
                    ByteBuffer message = binary;
                    binary = null;
                    deliver(new BinaryMessage(message));
                }
                socket.request(1);
                return null;
            }

            @Override
            public @Nullable CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
                closed(new CloseStatus(statusCode, reason));
                return null;
            }

            @Override
            public void onError(WebSocket socket, Throwable error) {
                try {
                    handler.handleTransportError(JdkSession.this, error);
                } catch (Exception e) {
                    logger.debug("handleTransportError failed", e);
                }
                closed(CloseStatus.SERVER_ERROR.withReason(String.valueOf(error.getMessage())));
            }

            private void deliver(WebSocketMessage<?> message) {
                delivering = Thread.currentThread();
                try {
                    handler.handleMessage(JdkSession.this, message);
                } catch (Exception e) {
                    onError(getNativeSession(), e);
                } finally {
                    delivering = null;
                }
            }

            private void tooBig(WebSocket socket, String what) {
                socket.sendClose(CloseStatus.TOO_BIG_TO_PROCESS.getCode(), "").orTimeout(5, TimeUnit.SECONDS)
                        .whenComplete((ignored, error) -> socket.abort());
                closed(CloseStatus.TOO_BIG_TO_PROCESS.withReason(what));
            }
        }
    }
}
