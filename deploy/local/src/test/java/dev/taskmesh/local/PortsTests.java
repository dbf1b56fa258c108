package dev.taskmesh.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortsTests {

    @Test
    void handsOutDistinctPorts() {
        // one at a time, the same port could come back twice: two children would then share it
        List<Integer> ports = Ports.free(50);

        assertThat(ports).hasSize(50).allMatch(port -> port > 0);
        assertThat(new HashSet<>(ports)).as("all different").hasSize(50);
    }

    @Test
    void refusesAPortSomethingListensOn() throws IOException {
        try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Ports.requireFree(taken.getLocalPort(), "127.0.0.1", "task-service"))
                    .isInstanceOf(PlatformException.class)
                    .hasMessageContaining("Port " + taken.getLocalPort() + " for task-service is in use");
        }
    }
}
