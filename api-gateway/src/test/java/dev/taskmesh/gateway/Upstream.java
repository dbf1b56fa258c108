package dev.taskmesh.gateway;

import io.netty.buffer.ByteBuf;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;
import tools.jackson.databind.json.JsonMapper;

/**
 * A stand-in for one service on loopback, to test the proxy itself: it answers every HTTP request with a JSON
 * description of what arrived (method, raw URI, Authorization header, body length and SHA-256), remembers every
 * URI it saw, and echoes text frames on {@code /ws/agent}. The real services are tested end to end elsewhere.
 */
final class Upstream {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Far above the gateway's limit, so that the gateway's own limit is what a test meets. */
    static final int MAX_FRAME = 16 * 1024 * 1024;

    private final String name;
    private final Queue<String> seen = new ConcurrentLinkedQueue<>();
    private final DisposableServer server;

    private Upstream(String name) {
        this.name = name;
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes
                        .ws("/ws/agent", (in, out) -> out.sendString(
                                in.aggregateFrames(MAX_FRAME).receive().asString()
                                        .map(text -> name + " echoes " + text)),
                                WebsocketServerSpec.builder().maxFramePayloadLength(MAX_FRAME).build())
                        .route(request -> true, this::describe))
                .bindNow();
    }

    static Upstream start(String name) {
        return new Upstream(name);
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Raw URIs (path and query) of every HTTP request this stand-in received. */
    List<String> seenUris() {
        return List.copyOf(seen);
    }

    private Publisher<Void> describe(HttpServerRequest request, HttpServerResponse response) {
        seen.add(request.uri());
        MessageDigest sha256 = sha256();
        AtomicLong length = new AtomicLong();
        return request.receive()
                .doOnNext(chunk -> {
                    length.addAndGet(chunk.readableBytes());
                    sha256.update(bytesOf(chunk));
                })
                .then(Mono.defer(() -> {
                    Map<String, Object> seenRequest = new LinkedHashMap<>();
                    seenRequest.put("service", name);
                    seenRequest.put("method", request.method().name());
                    seenRequest.put("uri", request.uri());
                    seenRequest.put("authorization", request.requestHeaders().get("Authorization"));
                    seenRequest.put("bodyLength", length.get());
                    seenRequest.put("bodySha256", HexFormat.of().formatHex(sha256.digest()));
                    return response.header("Content-Type", "application/json")
                            .sendString(Mono.just(JSON.writeValueAsString(seenRequest)))
                            .then();
                }));
    }

    private static byte[] bytesOf(ByteBuf chunk) {
        byte[] bytes = new byte[chunk.readableBytes()];
        chunk.getBytes(chunk.readerIndex(), bytes);
        return bytes;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
