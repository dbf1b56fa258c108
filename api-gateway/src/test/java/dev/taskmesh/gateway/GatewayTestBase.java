package dev.taskmesh.gateway;

import dev.taskmesh.testsupport.TestTokens;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway on a random port in front of loopback stand-ins for the three services, verifying tokens against
 * the test JWKS. Subclasses share one application context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class GatewayTestBase {

    static final TestTokens TOKENS = TestTokens.shared();

    @LocalServerPort
    int port;

    GatewayClient gateway;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        Upstreams.register(registry);
        TOKENS.registerJwks(registry);
    }

    @BeforeEach
    void client() {
        gateway = new GatewayClient(port);
    }
}
