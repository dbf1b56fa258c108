package dev.taskmesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Output files can be GBs: the gateway must pass them on whatever their size, whichever way they are framed. */
class UploadIT extends GatewayTestBase {

    private static final int FIVE_MIB = 5 * 1024 * 1024;

    @Test
    void streamsAFiveMebibyteFileWithAKnownLength() throws Exception {
        byte[] file = randomBytes(FIVE_MIB);

        HttpResponse<String> response = gateway.send("PUT", "/api/v1/tasks/t-1/attempts/1/files/model.bin",
                TOKENS.worker("w-1"), HttpRequest.BodyPublishers.ofByteArray(file));

        assertArrivedIntact(response, file);
    }

    @Test
    void streamsAFiveMebibyteFileSentInChunks() throws Exception {
        byte[] file = randomBytes(FIVE_MIB);

        // An InputStream publisher has no length, so the client sends Transfer-Encoding: chunked.
        HttpResponse<String> response = gateway.send("PUT", "/api/v1/tasks/t-1/attempts/1/files/model.bin",
                TOKENS.worker("w-1"), HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(file)));

        assertArrivedIntact(response, file);
    }

    private static void assertArrivedIntact(HttpResponse<String> response, byte[] file)
            throws NoSuchAlgorithmException {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response))
                .containsEntry("service", "result-service")
                .containsEntry("bodyLength", FIVE_MIB)
                .containsEntry("bodySha256", HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(file)));
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(42).nextBytes(bytes);
        return bytes;
    }
}
