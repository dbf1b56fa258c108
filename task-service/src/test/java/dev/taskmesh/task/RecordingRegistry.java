package dev.taskmesh.task;

import com.sun.net.httpserver.HttpServer;
import dev.taskmesh.contract.ApiPaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * A loopback stand-in for the registry's {@code POST /internal/v1/heartbeats}: answers 204 and keeps the latest
 * bodies (bounded), so that tests can see what the task-service forwards. One per JVM, started on first use.
 */
final class RecordingRegistry {

    private static final int KEEP = 500;
    private static final Deque<String> BODIES = new ArrayDeque<>();
    private static HttpServer server;

    private RecordingRegistry() {
    }

    /** Base URL of the server. */
    static synchronized String url() {
        if (server == null) {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext(ApiPaths.INTERNAL_HEARTBEATS, exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                synchronized (RecordingRegistry.class) {
                    BODIES.addLast(body);
                    if (BODIES.size() > KEEP) {
                        BODIES.removeFirst();
                    }
                }
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            server.start();
        }
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The latest forwarded batches, oldest first. */
    static synchronized List<String> bodies() {
        return List.copyOf(BODIES);
    }
}
