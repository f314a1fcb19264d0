package io.jtarget.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SendTargetsResponderTest {
    static final String DISK1 = "iqn.2025-01.io.jtarget:disk1";
    static final String DISK2 = "iqn.2025-01.io.jtarget:disk2";
    static final List<DiscoverableTarget> TARGETS = List.of(
            new DiscoverableTarget(DISK1, List.of(
                    new TargetPortal("192.0.2.10", 3260, 1), new TargetPortal("2001:db8::10", 3260, 1))),
            new DiscoverableTarget(DISK2, List.of(new TargetPortal("storage.example.com", 3261, 2))));

    @Test
    void shouldListAllTargetsWithAddressesInDiscoverySession() {
        assertThat(SendTargetsResponder.respond("All", SessionType.DISCOVERY, Optional.empty(), TARGETS))
                .containsExactly(
                        KeyValue.of("TargetName", DISK1),
                        KeyValue.of("TargetAddress", "192.0.2.10:3260,1"),
                        KeyValue.of("TargetAddress", "[2001:db8::10]:3260,1"),
                        KeyValue.of("TargetName", DISK2),
                        KeyValue.of("TargetAddress", "storage.example.com:3261,2"));
    }

    @Test
    void shouldListOnlyNamedTargetInDiscoverySession() {
        assertThat(SendTargetsResponder.respond(DISK2, SessionType.DISCOVERY, Optional.empty(), TARGETS))
                .containsExactly(KeyValue.of("TargetName", DISK2), KeyValue.of("TargetAddress", "storage.example.com:3261,2"));
        assertThat(SendTargetsResponder.respond("iqn.2025-01.io.jtarget:none", SessionType.DISCOVERY,
                Optional.empty(), TARGETS)).isEmpty();
        assertThat(SendTargetsResponder.respond("", SessionType.DISCOVERY, Optional.empty(), TARGETS)).isEmpty();
    }

    @Test
    void shouldRejectAllInNormalSession() {
        assertThat(SendTargetsResponder.respond("All", SessionType.NORMAL, Optional.of(DISK1), TARGETS))
                .containsExactly(KeyValue.of("SendTargets", "Reject"));
    }

    @Test
    void shouldReportOnlyOwnTargetInNormalSession() {
        List<KeyValue> own = List.of(KeyValue.of("TargetName", DISK1),
                KeyValue.of("TargetAddress", "192.0.2.10:3260,1"), KeyValue.of("TargetAddress", "[2001:db8::10]:3260,1"));
        assertThat(SendTargetsResponder.respond("", SessionType.NORMAL, Optional.of(DISK1), TARGETS)).isEqualTo(own);
        assertThat(SendTargetsResponder.respond(DISK1, SessionType.NORMAL, Optional.of(DISK1), TARGETS)).isEqualTo(own);
        assertThat(SendTargetsResponder.respond(DISK2, SessionType.NORMAL, Optional.of(DISK1), TARGETS)).isEmpty();
    }

    @Test
    void shouldBuildPortalFromSocketAddressDroppingIpv6Zone() throws Exception {
        InetAddress scoped = InetAddress.getByName("fe80::1%1");
        assertThat(TargetPortal.of(new InetSocketAddress(scoped, 3260), 1).toTargetAddress())
                .isEqualTo("[fe80:0:0:0:0:0:0:1]:3260,1");
        assertThat(TargetPortal.of(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 860), 5).toTargetAddress())
                .isEqualTo("10.1.2.3:860,5");
    }
}
