package dev.taskmesh.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.test.context.DynamicPropertyRegistry;

/** One stand-in per service, shared by every test of this JVM (like the cached application context). */
final class Upstreams {

    static final Upstream REGISTRY = Upstream.start("worker-registry");
    static final Upstream TASK_SERVICE = Upstream.start("task-service");
    static final Upstream RESULT_SERVICE = Upstream.start("result-service");

    /** Points the gateway's routes at the stand-ins. */
    static void register(DynamicPropertyRegistry registry) {
        registry.add("taskmesh.gateway.registry-url", REGISTRY::url);
        registry.add("taskmesh.gateway.task-service-url", TASK_SERVICE::url);
        registry.add("taskmesh.gateway.result-service-url", RESULT_SERVICE::url);
    }

    /** Every URI any stand-in received so far. */
    static List<String> allSeenUris() {
        return Stream.of(REGISTRY, TASK_SERVICE, RESULT_SERVICE).flatMap(u -> u.seenUris().stream()).toList();
    }

    /** A loopback port that was free a moment ago and that nothing listens on now. */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Upstreams() {
    }
}
