package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.testinit.IscsiWire.Keys;
import org.junit.jupiter.api.Test;

class NegotiationTest {

    private static TextParameters keys(String... kv) {
        TextParameters p = new TextParameters();
        for (int i = 0; i < kv.length; i += 2) {
            p.add(kv[i], kv[i + 1]);
        }
        return p;
    }

    private static Negotiation offered(LoginOptions o) {
        Negotiation n = new Negotiation();
        n.offered(o.leadingKeys());
        n.offered(o.operationalKeys());
        return n;
    }

    private static TextParameters fullAnswer() {
        return keys(Keys.HEADER_DIGEST, "None", Keys.DATA_DIGEST, "None", Keys.INITIAL_R2T, "Yes",
                Keys.IMMEDIATE_DATA, "Yes", Keys.MAX_BURST_LENGTH, "131072", Keys.FIRST_BURST_LENGTH, "32768",
                Keys.MAX_OUTSTANDING_R2T, "1", Keys.MAX_CONNECTIONS, "1", Keys.DATA_PDU_IN_ORDER, "Yes",
                Keys.DATA_SEQUENCE_IN_ORDER, "Yes", Keys.ERROR_RECOVERY_LEVEL, "0", Keys.DEFAULT_TIME_2_WAIT, "2",
                Keys.DEFAULT_TIME_2_RETAIN, "0", Keys.MAX_RECV_DATA_SEGMENT_LENGTH, "16384");
    }

    @Test
    void shouldTakeTargetAnswersWhenTheyAreLegal() throws Exception {
        LoginOptions o = LoginOptions.normal("iqn.t");
        Negotiation n = offered(o);
        assertThat(n.received(fullAnswer()).isEmpty()).isTrue();
        SessionParameters p = n.result(o);
        assertThat(p.maxBurstLength()).isEqualTo(131072);
        assertThat(p.firstBurstLength()).isEqualTo(32768);
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(16384);
        assertThat(p.initiatorMaxRecvDataSegmentLength()).isEqualTo(o.maxRecvDataSegmentLength());
    }

    @Test
    void shouldReportViolationWhenMinimumKeyAnswerExceedsOffer() {
        LoginOptions o = LoginOptions.normal("iqn.t").maxBurstLength(8192).firstBurstLength(4096);
        Negotiation n = offered(o);
        assertThatThrownBy(() -> n.received(keys(Keys.MAX_BURST_LENGTH, "16384")))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("minimum");
    }

    @Test
    void shouldReportViolationWhenDigestAnswerWasNotOffered() {
        Negotiation n = offered(LoginOptions.normal("iqn.t").headerDigest("CRC32C"));
        assertThatThrownBy(() -> n.received(keys(Keys.HEADER_DIGEST, "None")))
                .isInstanceOf(ProtocolViolationException.class);
    }

    @Test
    void shouldReportViolationWhenOrKeyTurnsYesIntoNo() {
        Negotiation n = offered(LoginOptions.normal("iqn.t").initialR2T(true));
        assertThatThrownBy(() -> n.received(keys(Keys.INITIAL_R2T, "No"))).isInstanceOf(ProtocolViolationException.class);
    }

    @Test
    void shouldReportViolationWhenAndKeyTurnsNoIntoYes() {
        Negotiation n = offered(LoginOptions.normal("iqn.t").immediateData(false));
        assertThatThrownBy(() -> n.received(keys(Keys.IMMEDIATE_DATA, "Yes"))).isInstanceOf(ProtocolViolationException.class);
    }

    @Test
    void shouldAllowMissingAnswerOnlyWhenResultIsForcedByOffer() throws Exception {
        // InitialR2T=Yes (OR) and ImmediateData=No (AND) decide the result alone (RFC 7143 §6.2.2).
        LoginOptions o = LoginOptions.normal("iqn.t").initialR2T(true).immediateData(false);
        Negotiation n = offered(o);
        TextParameters answer = new TextParameters();
        fullAnswer().entries().stream()
                .filter(e -> !e.getKey().equals(Keys.INITIAL_R2T) && !e.getKey().equals(Keys.IMMEDIATE_DATA))
                .forEach(e -> answer.add(e.getKey(), e.getValue()));
        n.received(answer);
        SessionParameters p = n.result(o);
        assertThat(p.initialR2T()).isTrue();
        assertThat(p.immediateData()).isFalse();

        Negotiation missingMin = offered(o);
        TextParameters noBurst = new TextParameters();
        answer.entries().stream().filter(e -> !e.getKey().equals(Keys.MAX_BURST_LENGTH))
                .forEach(e -> noBurst.add(e.getKey(), e.getValue()));
        missingMin.received(noBurst);
        assertThatThrownBy(() -> missingMin.result(o)).isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("MaxBurstLength");
    }

    @Test
    void shouldAnswerTargetOffersWhenTargetProposesKeys() throws Exception {
        Negotiation n = new Negotiation();
        TextParameters owed = n.received(keys(Keys.MAX_OUTSTANDING_R2T, "4", "X-Vendor-Thing", "1"));
        assertThat(owed.first(Keys.MAX_OUTSTANDING_R2T)).contains("4");
        assertThat(owed.first("X-Vendor-Thing")).contains(Keys.NOT_UNDERSTOOD);
    }

    @Test
    void shouldUseDefaultWhenTargetSaysIrrelevant() throws Exception {
        LoginOptions o = LoginOptions.normal("iqn.t").initialR2T(true).immediateData(false);
        Negotiation n = offered(o);
        TextParameters answer = fullAnswer();
        TextParameters irrelevant = new TextParameters();
        answer.entries().forEach(e -> irrelevant.add(e.getKey(),
                e.getKey().equals(Keys.FIRST_BURST_LENGTH) ? Keys.IRRELEVANT
                        : e.getKey().equals(Keys.IMMEDIATE_DATA) ? "No" : e.getValue()));
        n.received(irrelevant);
        assertThat(n.result(o).firstBurstLength()).isEqualTo(Keys.DEFAULT_FIRST_BURST_LENGTH);
    }

    @Test
    void shouldReportViolationWhenTargetDeclaresTinyMaxRecvDataSegmentLength() {
        Negotiation n = new Negotiation();
        assertThatThrownBy(() -> n.received(keys(Keys.MAX_RECV_DATA_SEGMENT_LENGTH, "100")))
                .isInstanceOf(ProtocolViolationException.class);
    }
}
