package dev.taskmesh.bench.taskmesh;

import dev.taskmesh.contract.WireJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client that submits over one STOMP session through the gateway ({@code /ws/events}): a SEND to
 * {@code /app/tasks/submit} per task, each waited for on {@code /user/queue/submissions} before the next one, as a
 * client of the REST API waits for each answer. One session per workload run: the server refuses a submission after
 * the session's token expired (15 min), and a run is far shorter.
 *
 * <p>STOMP 1.2 frames written and read here, on the JDK's WebSocket, whose listener runs on the thread that read
 * the frame. Spring's STOMP client over Tomcat's WebSocket client, which this replaced, passed each frame from the
 * thread that polls the socket to a pool thread before this client's: measured alternating with it on a development
 * platform, 10 rounds of 500 round trips each, the round trip took 4.46 ms at p50 against 5.21 and 11.2 at p99
 * against 13.9 (medians of the rounds; p99 lower in every round). The round trip measures the platform; the client
 * should add as little as a client can.
 */
final class StompSubmitter implements AutoCloseable {

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(70);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final String SUBMIT = "/app/tasks/submit";

    private final JsonMapper json = WireJson.mapper();
    /** Runs the listener on the client's selector thread: it only queues what arrived. */
    private final HttpClient http = HttpClient.newBuilder().executor(Runnable::run).build();
    /** Frames in the order they arrived: CONNECTED, MESSAGE, ERROR. */
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final WebSocket socket;
    private long requests;

    /** One STOMP frame as received: its command, and its body (the JSON of an answer). */
    private record Frame(String command, String headers, String body) {

        static Frame parse(String text) {
            int endOfCommand = text.indexOf('\n');
            int endOfHeaders = text.indexOf("\n\n");
            if (endOfCommand < 0 || endOfHeaders < 0) {
                return new Frame(text.strip(), "", "");
            }
            int end = text.indexOf('\0', endOfHeaders);
            return new Frame(text.substring(0, endOfCommand).strip(), text.substring(endOfCommand + 1, endOfHeaders),
                    text.substring(endOfHeaders + 2, end < 0 ? text.length() : end));
        }
    }

    StompSubmitter(String gatewayUrl, String token) {
        try {
            socket = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT)
                    .buildAsync(URI.create(gatewayUrl.replaceFirst("^http", "ws") + "/ws/events"), new Listener())
                    .get(CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            send("CONNECT\naccept-version:1.2\nhost:127.0.0.1\nheart-beat:0,0\nAuthorization:Bearer " + token
                    + "\n\n");
            Frame connected = next(CONNECT_TIMEOUT);
            if (!connected.command().equals("CONNECTED")) {
                throw new IllegalStateException("STOMP connect to /ws/events: " + connected);
            }
            send("SUBSCRIBE\nid:0\ndestination:/user/queue/submissions\n\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("STOMP connect to /ws/events failed: " + e, e);
        }
    }

    /**
     * Submits one task and answers the server's reply ({@code status}, {@code task}, {@code problem}); with
     * {@code waitSeconds > 0} the reply comes once the task has its outcome.
     */
    JsonNode submit(Object task, int waitSeconds) {
        String requestId = Long.toString(++requests);
        sendSubmission(task, requestId, waitSeconds);
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        while (true) {
            JsonNode answer = answer(Duration.ofNanos(deadline - System.nanoTime()), "submission " + requestId);
            if (requestId.equals(answer.path("requestId").asString(""))) {
                return answer;
            }
        }
    }

    /**
     * Submits {@code count} copies of the task with up to {@code window} SENDs unanswered, as a STOMP client's
     * publish does not wait for the answer; returns once every answer arrived, each checked for 201.
     */
    void submitPipelined(Object task, int count, int window) {
        long sent = 0;
        long answered = 0;
        while (answered < count) {
            while (sent < count && sent - answered < window) {
                sendSubmission(task, Long.toString(++requests), 0);
                sent++;
            }
            JsonNode answer = answer(ANSWER_TIMEOUT, (sent - answered) + " submissions");
            if (answer.path("status").asInt() != 201) {
                throw new IllegalStateException("STOMP submit: " + answer);
            }
            answered++;
        }
    }

    private void sendSubmission(Object task, String requestId, int waitSeconds) {
        String body = json.writeValueAsString(task);
        send("SEND\ndestination:" + SUBMIT + "\nrequest-id:" + requestId
                + (waitSeconds > 0 ? "\nwait-seconds:" + waitSeconds : "")
                + "\ncontent-type:application/json\ncontent-length:" + body.getBytes(StandardCharsets.UTF_8).length + "\n\n" + body);
    }

    /** Sends one frame; the JDK's WebSocket takes the next one only once this one is written. */
    private void send(String frame) {
        socket.sendText(frame + "\0", true).join();
    }

    /** The JSON of the next MESSAGE; an ERROR frame or a timeout fails the run. */
    private JsonNode answer(Duration timeout, String what) {
        try {
            Frame frame = next(timeout);
            if (!frame.command().equals("MESSAGE")) {
                throw new IllegalStateException("STOMP " + frame.command() + " instead of an answer to " + what
                        + ": " + frame.headers() + " " + frame.body());
            }
            return json.readTree(frame.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Frame next(Duration timeout) throws InterruptedException {
        Frame frame = frames.poll(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        if (frame == null) {
            throw new IllegalStateException("no STOMP frame within " + timeout.toSeconds() + " s");
        }
        return frame;
    }

    @Override
    public void close() {
        try {
            send("DISCONNECT\n\n");
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            socket.abort();
        } finally {
            http.close();
        }
    }

    /** Queues each whole frame; a frame may come in parts, and a lone newline is a heartbeat. */
    private final class Listener implements WebSocket.Listener {

        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                if (!text.isBlank()) {
                    frames.add(Frame.parse(text));
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            frames.add(new Frame("CLOSED", "status " + statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            frames.add(new Frame("CLOSED", "error", error.toString()));
        }
    }
}
