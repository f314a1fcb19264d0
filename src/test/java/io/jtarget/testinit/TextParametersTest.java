package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextParametersTest {

    @Test
    void shouldTerminateEveryPairWithNulWhenEncoding() {
        byte[] text = new TextParameters().add("InitiatorName", "iqn.x").add("SessionType", "Normal").encode();
        assertThat(new String(text, StandardCharsets.UTF_8)).isEqualTo("InitiatorName=iqn.x\0SessionType=Normal\0");
    }

    @Test
    void shouldKeepRepeatedKeysInOrderWhenDecoding() throws Exception {
        byte[] text = "TargetName=a\0TargetAddress=1:3260,1\0TargetAddress=2:3260,1\0".getBytes(StandardCharsets.UTF_8);
        TextParameters p = TextParameters.decode(text);
        assertThat(p.asMultiMap().get("TargetAddress")).isEqualTo(List.of("1:3260,1", "2:3260,1"));
        assertThat(p.first("TargetName")).contains("a");
    }

    @Test
    void shouldAcceptValuesContainingEqualsSignsWhenDecoding() throws Exception {
        assertThat(TextParameters.decode("X=a=b\0".getBytes(StandardCharsets.UTF_8)).first("X")).contains("a=b");
    }

    @Test
    void shouldReportViolationWhenPairIsNotTerminated() {
        assertThatThrownBy(() -> TextParameters.decode("A=1\0B=2".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("NUL");
    }

    @Test
    void shouldReportViolationWhenPairHasNoKey() {
        assertThatThrownBy(() -> TextParameters.decode("=1\0".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ProtocolViolationException.class);
        assertThatThrownBy(() -> TextParameters.decode("novalue\0".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ProtocolViolationException.class);
    }

    @Test
    void shouldReportViolationWhenKeyIsLongerThan63Bytes() {
        String key = "K".repeat(64);
        assertThatThrownBy(() -> TextParameters.decode((key + "=1\0").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ProtocolViolationException.class);
    }
}
