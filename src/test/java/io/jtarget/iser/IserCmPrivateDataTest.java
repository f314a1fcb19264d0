package io.jtarget.iser;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IserCmPrivateDataTest {
    @Test
    void shouldReadWhatLinuxIbIserRequestsWithFastRegistration() {
        // ib_iser: ISER_ZBVA_NOT_SUP always; Send with Invalidate supported; padded to 56 bytes by RDMA CM.
        byte[] request = new byte[56];
        request[0] = (byte) 0x80;

        IserCmPrivateData.Request parsed = IserCmPrivateData.parseRequest(request);

        assertThat(parsed.present()).isTrue();
        assertThat(parsed.zeroBasedAddressing()).isFalse();
        assertThat(parsed.sendWithInvalidate()).isTrue();
    }

    @Test
    void shouldReadAnInitiatorThatSupportsNeither() {
        IserCmPrivateData.Request parsed = IserCmPrivateData.parseRequest(new byte[] {(byte) 0xc0, 0, 0, 0});
        assertThat(parsed.zeroBasedAddressing()).isFalse();
        assertThat(parsed.sendWithInvalidate()).isFalse();
    }

    @Test
    void shouldTreatMissingPrivateDataAsNothingSupported() {
        IserCmPrivateData.Request parsed = IserCmPrivateData.parseRequest(new byte[0]);
        assertThat(parsed.present()).isFalse();
        assertThat(parsed.sendWithInvalidate()).isFalse();
        assertThat(IserCmPrivateData.parseRequest(null).present()).isFalse();
    }

    @Test
    void shouldReplyThatItUsesNeitherZeroBasedAddressesNorSendWithInvalidate() {
        assertThat(IserCmPrivateData.reply()).containsExactly((byte) 0xc0, 0, 0, 0);
        assertThat(IserCmPrivateData.reply()).hasSize(IserCmPrivateData.LENGTH);
    }
}
