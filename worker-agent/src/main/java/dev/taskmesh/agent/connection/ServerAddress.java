package dev.taskmesh.agent.connection;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.AgentDestinations;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.stream.Collectors;

/** The platform's base URL (the gateway), and every address the agent derives from it. */
public record ServerAddress(URI base) {

    public ServerAddress {
        String scheme = base.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || base.getHost() == null) {
            throw new IllegalArgumentException("the server must be an http:// or https:// URL, got " + base);
        }
        String text = base.toString();
        base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
    }

    /**
     * Parses a URL such as {@code http://localhost:8080}.
     *
     * @throws IllegalArgumentException when it is not an http(s) URL
     */
    public static ServerAddress parse(String url) {
        return new ServerAddress(URI.create(url.strip()));
    }

    /** {@code POST} here to exchange the worker id and token for a worker JWT. */
    public URI tokenUri() {
        return URI.create(base + ApiPaths.AUTH_TOKEN);
    }

    /** The STOMP endpoint: {@code ws://} or {@code wss://} on the same host and port. */
    public URI webSocketUri() {
        String scheme = "https".equals(base.getScheme()) ? "wss" : "ws";
        return URI.create(scheme + base.toString().substring(base.getScheme().length()) + AgentDestinations.ENDPOINT);
    }

    /** {@code PUT} one output file here; each segment of {@code name} (separated by {@code /}) is percent-encoded. */
    public URI attemptFileUri(UUID taskId, int attempt, String name) {
        String encoded = Arrays.stream(name.split("/", -1)).map(ServerAddress::encodeSegment)
                .collect(Collectors.joining("/"));
        return URI.create(base + ApiPaths.ATTEMPT_OUTPUT_FILE.replace("{taskId}", taskId.toString())
                .replace("{attempt}", Integer.toString(attempt)).replace("{name}", encoded));
    }

    /** {@code PUT} the attempt's whole log here. */
    public URI attemptLogUri(UUID taskId, int attempt) {
        return URI.create(base + ApiPaths.ATTEMPT_LOG.replace("{taskId}", taskId.toString())
                .replace("{attempt}", Integer.toString(attempt)));
    }

    static String encodeSegment(String segment) {
        // URLEncoder is for forms: in a path a space is %20, not +
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
