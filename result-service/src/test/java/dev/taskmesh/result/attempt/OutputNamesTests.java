package dev.taskmesh.result.attempt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskmesh.support.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpStatus;

class OutputNamesTests {

    @ParameterizedTest
    @ValueSource(strings = {"out.txt", "result.json", "images/small/cat 1.png", ".hidden", "a..b", "x-y_z.tar.gz"})
    void acceptsPlainRelativeNames(String name) {
        assertThat(OutputNames.check(name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "../x", "a/../../b", "a/./b", "/etc/passwd", "a//b", "a/", "a\\b",
            "C:x", "bad*name", "tab\tname", "ünï.txt", "nul\u0000"})
    void refusesNamesThatAreNotPlainRelativePaths(String name) {
        assertThatThrownBy(() -> OutputNames.check(name))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST));
    }

    @Test
    void limitsSegmentAndTotalLength() {
        assertThat(OutputNames.check("a".repeat(255))).hasSize(255);
        assertThatThrownBy(() -> OutputNames.check("a".repeat(256))).isInstanceOf(ApiException.class);
        String deep = ("d".repeat(99) + "/").repeat(10) + "x".repeat(24);
        assertThat(OutputNames.check(deep)).hasSize(1024);
        assertThatThrownBy(() -> OutputNames.check(deep + "x")).isInstanceOf(ApiException.class);
    }
}
