package io.jtarget.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FullFeatureTextNegotiatorTest {
    static final String DISK1 = "iqn.2025-01.io.jtarget:disk1";
    static final List<DiscoverableTarget> TARGETS = List.of(
            new DiscoverableTarget(DISK1, List.of(new TargetPortal("192.0.2.10", 3260, 1))));

    static NegotiatedParameters parameters(SessionType type) {
        return new NegotiatedParameters(false, false, 8192, 262144, 262144, 65536, true, true, 1, true, true, 0, 1, 2, 0,
                type, "iqn.2004-10.com.ubuntu:01:abc", Optional.empty(),
                type == SessionType.NORMAL ? Optional.of(DISK1) : Optional.empty(), java.util.Map.of());
    }

    static FullFeatureTextNegotiator.TextResult.Answer answer(FullFeatureTextNegotiator.TextResult result) {
        assertThat(result).isInstanceOf(FullFeatureTextNegotiator.TextResult.Answer.class);
        return (FullFeatureTextNegotiator.TextResult.Answer) result;
    }

    @Test
    void shouldAnswerSendTargetsAllInDiscoverySession() {
        var answer = answer(FullFeatureTextNegotiator.respond(
                List.of(KeyValue.of("SendTargets", "All")), parameters(SessionType.DISCOVERY), TARGETS));
        assertThat(answer.response()).containsExactly(
                KeyValue.of("TargetName", DISK1), KeyValue.of("TargetAddress", "192.0.2.10:3260,1"));
    }

    @Test
    void shouldAcceptMaxRecvDataSegmentLengthRedeclarationWithoutAnswer() {
        var answer = answer(FullFeatureTextNegotiator.respond(
                List.of(KeyValue.of("MaxRecvDataSegmentLength", "65536"), KeyValue.of("InitiatorAlias", "node7")),
                parameters(SessionType.NORMAL), TARGETS));
        assertThat(answer.response()).isEmpty();
        assertThat(answer.parameters().initiatorMaxRecvDataSegmentLength()).isEqualTo(65536);
        assertThat(answer.parameters().initiatorAlias()).contains("node7");
    }

    @Test
    void shouldRejectOutOfRangeMaxRecvDataSegmentLength() {
        var answer = answer(FullFeatureTextNegotiator.respond(
                List.of(KeyValue.of("MaxRecvDataSegmentLength", "100")), parameters(SessionType.NORMAL), TARGETS));
        assertThat(answer.response()).containsExactly(KeyValue.of("MaxRecvDataSegmentLength", "Reject"));
        assertThat(answer.parameters().initiatorMaxRecvDataSegmentLength()).isEqualTo(8192);
    }

    @Test
    void shouldRejectLoginOnlyKeysAndNotUnderstandUnknownOnes() {
        var answer = answer(FullFeatureTextNegotiator.respond(
                List.of(KeyValue.of("MaxBurstLength", "65536"), KeyValue.of("HeaderDigest", "CRC32C"),
                        KeyValue.of("X-com.example.Foo", "1")),
                parameters(SessionType.NORMAL), TARGETS));
        assertThat(answer.response()).containsExactly(KeyValue.of("MaxBurstLength", "Reject"),
                KeyValue.of("HeaderDigest", "Reject"), KeyValue.of("X-com.example.Foo", "NotUnderstood"));
        assertThat(answer.parameters()).isEqualTo(parameters(SessionType.NORMAL));
    }

    @Test
    void shouldReportProtocolErrorForKeyOfferedTwice() {
        assertThat(FullFeatureTextNegotiator.respond(
                List.of(KeyValue.of("SendTargets", "All"), KeyValue.of("SendTargets", "All")),
                parameters(SessionType.DISCOVERY), TARGETS))
                .isInstanceOf(FullFeatureTextNegotiator.TextResult.ProtocolError.class);
    }
}
