package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

/** How a test's STOMP client saw the server end its session over a refused frame. */
final class StompRefusals {

    private StompRefusals() {
    }

    /**
     * The ERROR frame's message contains {@code text}, or the connection closed without it. Spring's STOMP handler
     * sends the ERROR frame and closes the session at once; when another thread is still writing to that session
     * (its CONNECTED frame, on a busy machine), the ERROR frame stays in the session's send buffer and only the close
     * arrives. Either way the session ended.
     *
     * @param seen what the client recorded first: the ERROR frame's message, or {@code transport: <exception>}
     */
    static void assertEndedBy(String seen, String text) {
        assertThat(seen).satisfiesAnyOf(
                error -> assertThat(error).contains(text),
                error -> assertThat(error).startsWith("transport: ").contains("Connection closed"));
    }
}
