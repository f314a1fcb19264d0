package io.jtarget.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextParametersTest {
    private static final TextLimits LIMITS = TextLimits.defaults();

    private static TextParameters.Decoded decode(String text) {
        return TextParameters.decode(text.getBytes(StandardCharsets.UTF_8), LIMITS);
    }

    private static List<KeyValue> pairs(TextParameters.Decoded decoded) {
        assertThat(decoded).isInstanceOf(TextParameters.Decoded.Ok.class);
        return ((TextParameters.Decoded.Ok) decoded).pairs();
    }

    private static TextError error(TextParameters.Decoded decoded) {
        assertThat(decoded).isInstanceOf(TextParameters.Decoded.Malformed.class);
        return ((TextParameters.Decoded.Malformed) decoded).error();
    }

    @Test
    void shouldRoundTripPairsInOrder() {
        List<KeyValue> pairs = List.of(
                KeyValue.of("InitiatorName", "iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test"),
                KeyValue.of("HeaderDigest", "None,CRC32C"),
                KeyValue.of("InitiatorAlias", "höst-ä"),
                KeyValue.of("X-com.example.Empty", ""));
        byte[] encoded = TextParameters.encode(pairs);

        assertThat(encoded).hasSize(TextParameters.encodedLength(pairs));
        assertThat(encoded[encoded.length - 1]).isZero();
        assertThat(pairs(TextParameters.decode(encoded, LIMITS))).containsExactlyElementsOf(pairs);
    }

    @Test
    void shouldDecodeEmptySegmentAsNoPairs() {
        assertThat(pairs(decode(""))).isEmpty();
    }

    @Test
    void shouldKeepEverythingAfterTheFirstEqualsInTheValue() {
        assertThat(pairs(decode("CHAP_C=0xab==\0"))).containsExactly(KeyValue.of("CHAP_C", "0xab=="));
    }

    @Test
    void shouldTolerateTrailingNulPadding() {
        assertThat(pairs(decode("MaxConnections=1\0\0\0\0"))).containsExactly(KeyValue.of("MaxConnections", "1"));
    }

    @Test
    void shouldRejectEmptyPairInsideSegment() {
        assertThat(error(decode("A=1\0\0B=2\0"))).isEqualTo(TextError.EMPTY_PAIR);
    }

    @Test
    void shouldRejectLastPairWithoutNulWhenRfcRequiresOne() {
        assertThat(error(decode("A=1\0B=2"))).isEqualTo(TextError.MISSING_NUL_TERMINATOR);
    }

    @Test
    void shouldRejectPairWithoutEquals() {
        assertThat(error(decode("HeaderDigest\0"))).isEqualTo(TextError.MISSING_EQUALS);
    }

    @Test
    void shouldRejectInvalidKeyNames() {
        assertThat(error(decode("=x\0"))).isEqualTo(TextError.INVALID_KEY_NAME);
        assertThat(error(decode("1HeaderDigest=None\0"))).isEqualTo(TextError.INVALID_KEY_NAME);
        assertThat(error(decode("-A=None\0"))).isEqualTo(TextError.INVALID_KEY_NAME);
        assertThat(error(decode("Header Digest=None\0"))).isEqualTo(TextError.INVALID_KEY_NAME);
        assertThat(error(decode("A#b=1\0"))).isEqualTo(TextError.INVALID_KEY_NAME);
        assertThat(error(decode("Kéy=1\0"))).isEqualTo(TextError.INVALID_KEY_NAME);
    }

    @Test
    void shouldAcceptLowerCaseFirstLetterForRfc7144ProtocolLevelKey() {
        assertThat(pairs(decode("iSCSIProtocolLevel=2\0"))).containsExactly(KeyValue.of("iSCSIProtocolLevel", "2"));
    }

    @Test
    void shouldAcceptExtensionKeyNames() {
        assertThat(pairs(decode("X-com.example.a_b+c@d=1\0X#NodeArchitecture=Linux\0"))).hasSize(2);
    }

    @Test
    void shouldAcceptKeyOf63BytesAndRejectKeyOf64() {
        String key63 = "K" + "a".repeat(62);
        assertThat(pairs(decode(key63 + "=1\0"))).hasSize(1);
        assertThat(error(decode(key63 + "a=1\0"))).isEqualTo(TextError.KEY_TOO_LONG);
    }

    @Test
    void shouldRejectValueLongerThanLimit() {
        TextLimits limits = new TextLimits(64 * 1024, 16, 300);
        byte[] ok = ("K=" + "v".repeat(300) + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] tooLong = ("K=" + "v".repeat(301) + "\0").getBytes(StandardCharsets.US_ASCII);
        assertThat(TextParameters.decode(ok, limits)).isInstanceOf(TextParameters.Decoded.Ok.class);
        assertThat(error(TextParameters.decode(tooLong, limits))).isEqualTo(TextError.VALUE_TOO_LONG);
    }

    @Test
    void shouldRejectInvalidUtf8() {
        byte[] bad = {'K', '=', (byte) 0xc3, (byte) 0x28, 0};
        assertThat(error(TextParameters.decode(bad, LIMITS))).isEqualTo(TextError.INVALID_UTF8);
    }

    @Test
    void shouldRejectMoreKeysThanLimit() {
        TextLimits limits = new TextLimits(8192, 2, 255);
        byte[] three = "A=1\0B=2\0C=3\0".getBytes(StandardCharsets.US_ASCII);
        TextParameters.Decoded decoded = TextParameters.decode(three, limits);
        assertThat(error(decoded)).isEqualTo(TextError.TOO_MANY_KEYS);
        assertThat(((TextParameters.Decoded.Malformed) decoded).pairIndex()).isEqualTo(2);
    }

    @Test
    void shouldRejectSegmentLongerThanLimit() {
        byte[] big = new byte[LIMITS.maxSegmentBytes() + 1];
        assertThat(error(TextParameters.decode(big, LIMITS))).isEqualTo(TextError.SEGMENT_TOO_LONG);
    }

    @Test
    void shouldDecodeByteBufWithoutConsumingIt() {
        ByteBuf buf = Unpooled.copiedBuffer("xxA=1\0", StandardCharsets.US_ASCII);
        try {
            buf.readerIndex(2);
            assertThat(pairs(TextParameters.decode(buf, LIMITS))).containsExactly(KeyValue.of("A", "1"));
            assertThat(buf.readerIndex()).isEqualTo(2);
        } finally {
            buf.release();
        }
    }

    @Test
    void shouldEncodeIntoByteBuf() {
        ByteBuf out = Unpooled.buffer();
        try {
            TextParameters.encode(List.of(KeyValue.of("A", 1)), out);
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("A=1\0");
        } finally {
            out.release();
        }
    }
}
