package dev.taskmesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The dashboard's static files: public, under a strict Content-Security-Policy, and complete. */
class DashboardIT extends GatewayTestBase {

    private static final String CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
            + "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'";

    /** Static and dynamic imports, and any absolute path of a script the code loads itself (Chart.js). */
    private static final Pattern REFERENCES = Pattern.compile(
            "(?:\\bfrom\\s*|\\bimport\\s*\\(?\\s*)['\"]([^'\"]+)['\"]|['\"](/(?:assets|webjars)/[^'\"]+\\.js)['\"]");

    @Test
    void servesTheDashboardWithoutATokenUnderTheContentSecurityPolicy() {
        HttpResponse<String> response = gateway.get("/", null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/html"));
        assertThat(response.headers().firstValue("Content-Security-Policy")).hasValue(CSP);
        assertThat(response.body()).contains("<title>Taskmesh</title>",
                "<script type=\"module\" src=\"/assets/js/app.js\"></script>",
                "data-testid=\"nav-tasks\"", "data-testid=\"live-status\"");
    }

    @Test
    void keepsNoInlineScriptOrStyleThatThePolicyWouldBlock() {
        String page = gateway.get("/", null).body();

        assertThat(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>").matcher(page).find()).isFalse();
        assertThat(page).doesNotContain("<style", " style=", "javascript:");
        assertThat(Pattern.compile("\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(page).find()).isFalse();
    }

    @Test
    void servesEveryModuleTheDashboardLoadsAsJavaScript() {
        Set<String> loaded = new LinkedHashSet<>();
        Deque<URI> toLoad = new ArrayDeque<>();
        toLoad.add(URI.create("/assets/js/app.js"));
        while (!toLoad.isEmpty()) {
            URI path = toLoad.poll();
            if (!loaded.add(path.getPath())) {
                continue;
            }
            HttpResponse<String> response = gateway.get(path.getPath(), null);
            assertThat(response.statusCode()).as(path.getPath()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).as(path.getPath())
                    .hasValueSatisfying(type -> assertThat(type).matches("(text|application)/javascript.*"));
            Matcher references = REFERENCES.matcher(response.body());
            while (references.find()) {
                String reference = references.group(1) != null ? references.group(1) : references.group(2);
                toLoad.add(path.resolve(reference));
            }
        }

        assertThat(loaded).contains("/assets/js/live.js", "/assets/js/views/task.js",
                "/webjars/stomp__stompjs/7.0.0/esm6/index.js", "/webjars/stomp__stompjs/7.0.0/esm6/client.js",
                "/webjars/chart.js/4.4.7/dist/chart.umd.js");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/webjars/stomp__stompjs/7.0.0/esm6/index.js",
            "/webjars/stomp__stompjs/7.0.0/bundles/stomp.umd.min.js", "/webjars/chart.js/4.4.7/dist/chart.umd.js"})
    void servesWebJarScriptsWithoutAToken(String path) {
        HttpResponse<String> response = gateway.get(path, null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).matches("(text|application)/javascript.*"));
        assertThat(response.headers().firstValue("Content-Security-Policy")).hasValue(CSP);
        assertThat(response.body()).hasSizeGreaterThan(200);
    }

    @Test
    void servesTheStylesheet() {
        HttpResponse<String> response = gateway.get("/assets/app.css", null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/css"));
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
    }

    @Test
    void answersAMissingDashboardFileWithProblemNotFound() {
        HttpResponse<String> response = gateway.get("/assets/js/nothing-here.js", null);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }
}
