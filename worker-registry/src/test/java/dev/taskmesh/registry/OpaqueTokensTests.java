package dev.taskmesh.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class OpaqueTokensTests {

    @Test
    void generatesTwoHundredFiftySixRandomBitsAfterThePrefix() {
        String token = OpaqueTokens.generate("tmw_");

        assertThat(token).startsWith("tmw_").matches("tmw_[A-Za-z0-9_-]{43}");
        assertThat(Base64.getUrlDecoder().decode(token.substring(4))).hasSize(32);
        assertThat(OpaqueTokens.generate("tmw_")).isNotEqualTo(token);
    }

    @Test
    void hashesAsLowerCaseHexSha256() {
        assertThat(OpaqueTokens.sha256Hex("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(OpaqueTokens.hashesEqual(OpaqueTokens.sha256Hex("a"), OpaqueTokens.sha256Hex("a"))).isTrue();
        assertThat(OpaqueTokens.hashesEqual(OpaqueTokens.sha256Hex("a"), OpaqueTokens.sha256Hex("b"))).isFalse();
    }
}
