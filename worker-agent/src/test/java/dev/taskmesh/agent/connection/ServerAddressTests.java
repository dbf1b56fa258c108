package dev.taskmesh.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class ServerAddressTests {

    private static final UUID TASK = UUID.fromString("6f1c2a4e-8b5d-4c1f-9a7e-2d3b4c5d6e7f");

    @Test
    void derivesTheWebSocketEndpointFromTheServer() {
        assertThat(ServerAddress.parse("http://gw:8080").webSocketUri()).hasToString("ws://gw:8080/ws/agent");
        assertThat(ServerAddress.parse("https://taskmesh.example.com/").webSocketUri())
                .hasToString("wss://taskmesh.example.com/ws/agent");
        assertThat(ServerAddress.parse("http://gw:8080/prefix/").tokenUri())
                .hasToString("http://gw:8080/prefix/api/v1/auth/token");
    }

    @Test
    void encodesEachSegmentOfAFileName() {
        ServerAddress server = ServerAddress.parse("http://gw:8080");

        assertThat(server.attemptFileUri(TASK, 2, "sub dir/a+b#c?.txt")).hasToString(
                "http://gw:8080/api/v1/tasks/" + TASK + "/attempts/2/files/sub%20dir/a%2Bb%23c%3F.txt");
        assertThat(server.attemptFileUri(TASK, 1, "ünï.txt").getRawPath()).endsWith("/files/%C3%BCn%C3%AF.txt");
        assertThat(server.attemptLogUri(TASK, 3)).hasToString(
                "http://gw:8080/api/v1/tasks/" + TASK + "/attempts/3/log");
    }

    @Test
    void refusesOtherSchemes() {
        assertThatIllegalArgumentException().isThrownBy(() -> ServerAddress.parse("ws://gw:8080"));
        assertThatIllegalArgumentException().isThrownBy(() -> ServerAddress.parse("gw:8080"));
    }
}
