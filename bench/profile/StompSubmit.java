import java.lang.reflect.Type;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;
import tools.jackson.databind.JsonNode;

/**
 * Submits no-op tasks over one STOMP session (SEND /app/tasks/submit), for cpu_per_task.py:
 * {@code java -cp <bench classpath> StompSubmit.java <gateway url> <token> <n> <wait-seconds> [window]}. With a
 * window of 1 (the default) each SEND is answered before the next; with more, up to that many are unanswered.
 * Reads "go" on stdin before the measured tasks (after 200 of warm-up) and prints one line of JSON at the end:
 * the p50/p90/p99 of the submissions in ms (from each SEND to its answer).
 */
public class StompSubmit {

    public static void main(String[] args) throws Exception {
        String url = args[0].replaceFirst("^http", "ws") + "/ws/events";
        int n = Integer.parseInt(args[2]);
        String wait = args[3];
        int window = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        var client = new WebSocketStompClient(new StandardWebSocketClient());
        client.setMessageConverter(new JacksonJsonMessageConverter());
        StompHeaders connect = new StompHeaders();
        connect.add("Authorization", "Bearer " + args[1]);
        StompSession session = client.connectAsync(url, new WebSocketHttpHeaders(), connect,
                new StompSessionHandlerAdapter() { }).get(30, TimeUnit.SECONDS);
        BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
        session.subscribe("/user/queue/submissions", new StompFrameHandler() {
            public Type getPayloadType(StompHeaders headers) {
                return JsonNode.class;
            }

            public void handleFrame(StompHeaders headers, Object payload) {
                answers.add((JsonNode) payload);
            }
        });
        submit(session, answers, 200, wait, window);
        System.out.println("ready");
        System.out.flush();
        new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
        double[] ms = submit(session, answers, n, wait, window);
        java.util.Arrays.sort(ms);
        System.out.printf("{\"p50_ms\": %.2f, \"p90_ms\": %.2f, \"p99_ms\": %.2f}%n", ms[n / 2], ms[n * 9 / 10],
                ms[n * 99 / 100]);
        session.disconnect();
        client.stop();
        System.exit(0);
    }

    private static double[] submit(StompSession session, BlockingQueue<JsonNode> answers, int n, String wait,
                                   int window) throws InterruptedException {
        double[] ms = new double[n];
        long[] sentAt = new long[n];
        int sent = 0;
        for (int answered = 0; answered < n; answered++) {
            while (sent < n && sent - answered < window) {
                StompHeaders headers = new StompHeaders();
                headers.setDestination("/app/tasks/submit");
                headers.add("request-id", Integer.toString(sent));
                headers.add("wait-seconds", wait);
                sentAt[sent] = System.nanoTime();
                session.send(headers, Map.of("type", "noop", "input", Map.of()));
                sent++;
            }
            JsonNode answer = answers.poll(60, TimeUnit.SECONDS);
            if (answer == null || answer.path("status").asInt() != 201) {
                throw new IllegalStateException("answer: " + answer);
            }
            int request = Integer.parseInt(answer.path("requestId").asString());
            ms[request] = (System.nanoTime() - sentAt[request]) / 1e6;
        }
        return ms;
    }
}
