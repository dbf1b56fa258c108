package dev.taskmesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.publisher.Flux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;

class WebSocketIT extends GatewayTestBase {

    @Test
    void carriesAgentFramesBothWaysThroughTheGateway() {
        List<String> received = exchange(List.of("CONNECT", "SEND", "DISCONNECT"));

        assertThat(received).containsExactly(
                "task-service echoes CONNECT", "task-service echoes SEND", "task-service echoes DISCONNECT");
    }

    @Test
    void carriesAFrameAsLargeAsAnAssignmentWithAMegabyteOfInput() {
        String frame = "x".repeat(1_500_000);

        List<String> received = exchange(List.of(frame));

        assertThat(received).containsExactly("task-service echoes " + frame);
    }

    private List<String> exchange(List<String> frames) {
        List<String> received = new CopyOnWriteArrayList<>();
        URI endpoint = URI.create("ws://127.0.0.1:" + port + "/ws/agent");
        var client = new ReactorNettyWebSocketClient(HttpClient.create(),
                () -> WebsocketClientSpec.builder().maxFramePayloadLength(Upstream.MAX_FRAME));

        client.execute(endpoint, session -> session
                        .send(Flux.fromIterable(frames).map(session::textMessage))
                        .thenMany(session.receive().map(WebSocketMessage::getPayloadAsText).take(frames.size()))
                        .doOnNext(received::add)
                        .then())
                .block(Duration.ofSeconds(20));
        return received;
    }
}
