package io.jtarget.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.jtarget.config.AccessConfig;
import io.jtarget.config.AuthConfig;
import io.jtarget.backstore.BackingSpec;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.testinit.IscsiWire;
import io.jtarget.testinit.IscsiWire.Login;
import io.jtarget.testinit.IscsiWire.Opcode;
import io.jtarget.testinit.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Several hundred malformed connections and PDUs against a real {@link IscsiServer} on 127.0.0.1:
 * the server must answer each as RFC 7143 prescribes (Reject, login failure, or a closed
 * connection), keep an unrelated session working, accept new logins afterwards, and give its
 * buffer memory back.
 */
@Timeout(120)
class HostileInputTest {
    static final String TARGET = "iqn.2026-11.io.jtarget:hostile";
    static final long SEED = 0x5EC0_2026L;
    /** TEST UNIT READY, INQUIRY, MODE SENSE(6/10), READ(10/16), READ CAPACITY(10/16), REPORT LUNS, REQUEST SENSE. */
    static final byte[] READ_ONLY_OPCODES = {0x00, 0x12, 0x1a, 0x5a, 0x28, (byte) 0x88, 0x25, (byte) 0x9e,
        (byte) 0xa0, 0x03};

    private IscsiServer server;
    private InetSocketAddress address;
    private ListAppender<ILoggingEvent> leaks;

    @BeforeEach
    void watchForLeaks() {
        leaks = new ListAppender<>();
        leaks.start();
        ((Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector")).addAppender(leaks);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        ((Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector")).detachAppender(leaks);
    }

    private void start(ConnectionLimits limits, AccessConfig access, Duration loginTimeout) throws Exception {
        ServerConfig.Limits base = new ServerConfig.Limits(2, 2, Duration.ofSeconds(30), Duration.ofSeconds(30),
                loginTimeout, 64);
        TargetConfig target = new TargetConfig(TARGET, List.of(new LunConfig(0, new BackingSpec.Ram(16L << 20), false)),
                AuthConfig.NONE, access);
        server = IscsiServer.start(new ServerConfig(List.of(new InetSocketAddress("127.0.0.1", 0)), List.of(target),
                base, AuthConfig.NONE, limits));
        address = server.boundAddresses().getFirst();
    }

    private RawInitiator connect() throws IOException {
        return new RawInitiator(address);
    }

    private RawInitiator loggedIn(String initiator, long isid) throws IOException {
        RawInitiator i = connect();
        assertThat(i.login(initiator, TARGET, isid)).isZero();
        i.clearUnitAttention();
        return i;
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void await(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static long directMemory() {
        // The channel allocator (Netty 4.2: adaptive) accounts every direct chunk it holds.
        return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
    }

    /** Makes the leak detector report: leaked buffers are found when collected and the next buffer is tracked. */
    private void assertNoLeakReported() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(64);
            probe.release();
        }
        assertThat(leaks.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(m -> m.contains("LEAK"));
    }

    @Test
    void shouldKeepServingAndReturnMemoryWhenFloodedWithMalformedConnections() throws Exception {
        start(ConnectionLimits.defaults(), AccessConfig.ANY, Duration.ofSeconds(2));
        // Warm-up so allocator chunks and lazily built structures exist before the baseline.
        try (RawInitiator warm = loggedIn("iqn.2026-11.io.jtarget.test:warm", 1)) {
            assertThat(warm.write10(0, pattern(65536, 1))).isZero();
            assertThat(warm.read10(0, 128)).isEqualTo(pattern(65536, 1));
            warm.logout();
        }
        // A small round of the same traffic first: allocator caches settle (the adaptive allocator
        // keeps a bounded set of chunks per thread), so the baseline is the steady state.
        flood(new Random(SEED + 1), 10);
        await(() -> server.sessionCount() == 0 && server.connectionCount() == 0, 10_000, "warm-up to end");
        long baseline = directMemory();

        RawInitiator bystander = loggedIn("iqn.2026-11.io.jtarget.test:bystander", 2);
        assertThat(bystander.write10(2048, pattern(32768, 2))).isZero();

        Random random = new Random(SEED);
        int connections = flood(random, 1);
        assertThat(connections).isGreaterThanOrEqualTo(400);

        // The unrelated session saw nothing of it.
        assertThat(bystander.read10(2048, 64)).isEqualTo(pattern(32768, 2));
        assertThat(bystander.write10(4096, pattern(65536, 3))).isZero();
        assertThat(bystander.read10(4096, 128)).isEqualTo(pattern(65536, 3));
        bystander.logout();
        bystander.close();

        // A fresh login still works.
        try (RawInitiator after = loggedIn("iqn.2026-11.io.jtarget.test:after", 4)) {
            assertThat(after.write10(8192, pattern(65536, 4))).isZero();
            assertThat(after.read10(8192, 128)).isEqualTo(pattern(65536, 4));
            after.logout();
        }
        await(() -> server.sessionCount() == 0 && server.connectionCount() == 0, 10_000, "every connection to end");
        await(() -> directMemory() <= baseline + (4L << 20), 10_000,
                "direct memory back to its baseline " + baseline + " (now " + directMemory() + ")");
        assertNoLeakReported();
    }

    /** Every kind of hostile traffic; {@code scale} divides the counts (1 = the full run). Returns the connections made. */
    private int flood(Random random, int scale) throws Exception {
        int connections = 0;
        // 1. Random bytes, then hang up.
        for (int i = 0; i < 150 / scale; i++, connections++) {
            try (RawInitiator c = connect()) {
                byte[] junk = new byte[1 + random.nextInt(8192)];
                random.nextBytes(junk);
                c.send(junk);
            }
        }
        // 2. Truncated headers.
        for (int i = 0; i < 60 / scale; i++, connections++) {
            try (RawInitiator c = connect()) {
                byte[] login = RawInitiator.loginRequest(1, 3, true, 7, RawInitiator.text("InitiatorName=iqn.2026-11.x:y"))
                        .encode(false, false);
                c.send(Arrays.copyOf(login, 1 + random.nextInt(IscsiWire.BHS_LENGTH - 1)));
            }
        }
        // 3. Bogus opcodes as the first PDU: a login-phase protocol error ends the connection.
        for (int i = 0; i < 60 / scale; i++, connections++) {
            try (RawInitiator c = connect()) {
                int opcode = random.nextInt(64);
                if (opcode == Opcode.LOGIN_REQUEST) {
                    opcode = 0x3e;
                }
                byte[] bhs = new byte[IscsiWire.BHS_LENGTH];
                random.nextBytes(bhs);
                bhs[0] = (byte) opcode;
                bhs[4] = 0;
                bhs[5] = 0;
                bhs[6] = 0;
                bhs[7] = (byte) random.nextInt(64);
                c.send(Arrays.copyOf(bhs, bhs.length + (bhs[7] & 0xff) + 3 & ~3));
                c.timeout(5000);
                assertThat(c.closedByTarget()).as("connection closed after opcode 0x%02x", opcode).isTrue();
            }
        }
        // 4. Huge DataSegmentLength during login: header refused, payload skipped, connection closed.
        for (int i = 0; i < 30 / scale; i++, connections++) {
            try (RawInitiator c = connect()) {
                byte[] bhs = RawInitiator.loginRequest(1, 3, true, 9, new byte[0]).encode(false, false);
                bhs[5] = (byte) 0xff;
                bhs[6] = (byte) 0xff;
                bhs[7] = (byte) 0xff;
                c.send(bhs);
                c.send(new byte[16384]);
                c.timeout(5000);
                assertThat(c.closedByTarget()).isTrue();
            }
        }
        // 5. Huge DataSegmentLength in full feature phase: a Reject, then the connection ends (§7.1.1).
        for (int i = 0; i < 30 / scale; i++, connections++) {
            try (RawInitiator c = loggedIn("iqn.2026-11.io.jtarget.test:huge", 100 + i)) {
                byte[] nop = Pdu.create(Opcode.NOP_OUT).immediate(true).flags(0x80).itt(5)
                        .ttt(IscsiWire.RESERVED_TAG).encode(false, false);
                nop[5] = (byte) 0xff;
                nop[6] = (byte) 0xff;
                nop[7] = (byte) 0xff;
                c.send(nop);
                c.timeout(5000);
                Pdu reply = c.readSkippingNops();
                assertThat(reply.opcode()).isEqualTo(Opcode.REJECT);
                assertThat(c.closedByTarget()).isTrue();
            }
        }
        // 6. Login floods: endless C-bit continuations hit the per-login PDU cap.
        for (int i = 0; i < 20 / scale; i++, connections++) {
            try (RawInitiator c = connect()) {
                c.timeout(5000);
                int status = -1;
                for (int n = 0; n < 200 && status <= 0; n++) {
                    Pdu p = RawInitiator.loginRequest(1, 3, false, 11, RawInitiator.text("X-junk" + n + "=" + "a".repeat(200)));
                    p.flags(p.flags() | Login.FLAG_CONTINUE);
                    c.send(p);
                    status = c.read().shortAt(Login.STATUS_CLASS);
                }
                assertThat(status).isEqualTo(Login.STATUS_INITIATOR_ERROR);
                assertThat(c.closedByTarget()).isTrue();
            }
        }
        // 7. Random PDUs inside a session: whatever the target answers, it must not fall over.
        for (int i = 0; i < 30 / scale; i++, connections++) {
            try (RawInitiator c = loggedIn("iqn.2026-11.io.jtarget.test:fuzz", 200 + i)) {
                for (int n = 0; n < 40; n++) {
                    byte[] bhs = new byte[IscsiWire.BHS_LENGTH];
                    random.nextBytes(bhs);
                    int dsl = random.nextInt(3) == 0 ? random.nextInt(70000) : random.nextInt(600);
                    bhs[4] = (byte) (random.nextInt(4) == 0 ? random.nextInt(4) : 0);
                    bhs[5] = (byte) (dsl >>> 16);
                    bhs[6] = (byte) (dsl >>> 8);
                    bhs[7] = (byte) dsl;
                    byte[] pdu = new byte[bhs.length + (bhs[4] & 0xff) * 4 + ((dsl + 3) & ~3)];
                    random.nextBytes(pdu);
                    if ((bhs[0] & Opcode.MASK) == Opcode.SCSI_COMMAND) {
                        // Random CDBs, but never a write: the bystander's data must stay intact.
                        bhs[32] = READ_ONLY_OPCODES[random.nextInt(READ_ONLY_OPCODES.length)];
                    }
                    System.arraycopy(bhs, 0, pdu, 0, bhs.length);
                    try {
                        c.send(pdu);
                    } catch (IOException closed) {
                        break;
                    }
                }
            }
        }
        // 8. Half-open logins: connections that never finish login (or never speak) are dropped
        //    after the login timeout; meanwhile new logins still succeed.
        List<RawInitiator> halfOpen = new ArrayList<>();
        for (int i = 0; i < 40 / scale; i++, connections++) {
            RawInitiator c = connect();
            halfOpen.add(c);
            if (i % 2 == 0) {
                c.send(RawInitiator.loginRequest(0, 1, false, 300 + i, RawInitiator.text(
                        "InitiatorName=iqn.2026-11.io.jtarget.test:half", "TargetName=" + TARGET, "AuthMethod=None")));
                assertThat(c.read().shortAt(Login.STATUS_CLASS)).isZero();
            }
        }
        try (RawInitiator during = loggedIn("iqn.2026-11.io.jtarget.test:during", 3)) {
            assertThat(during.write10(12000, pattern(4096, 5))).isZero();
            assertThat(during.read10(12000, 8)).isEqualTo(pattern(4096, 5));
        }
        for (RawInitiator c : halfOpen) {
            c.timeout(6000);
            assertThat(c.closedByTarget()).as("half-open login dropped by the login timeout").isTrue();
            c.close();
        }
        return connections;
    }

    @Test
    void shouldDropALoginThatDoesNotFinishInTime() throws Exception {
        start(ConnectionLimits.defaults(), AccessConfig.ANY, Duration.ofMillis(500));
        try (RawInitiator silent = connect()) {
            silent.timeout(5000);
            long start = System.nanoTime();
            assertThat(silent.closedByTarget()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(4));
        }
        await(() -> server.connectionCount() == 0, 5000, "the connection to be released");
    }

    @Test
    void shouldRefuseConnectionsBeyondThePerAddressLimitWithTooManyConnections() throws Exception {
        start(new ConnectionLimits(1024, 2, 256, 64, 8L << 20), AccessConfig.ANY, Duration.ofSeconds(10));
        try (RawInitiator a = connect(); RawInitiator b = connect()) {
            await(() -> server.connectionCount() == 2, 5000, "two connections");
            try (RawInitiator c = connect()) {
                assertThat(c.login("iqn.2026-11.io.jtarget.test:third", TARGET, 1)).isEqualTo(0x0206);
                assertThat(c.closedByTarget()).isTrue();
            }
        }
        await(() -> server.connectionCount() == 0, 5000, "connections released");
        try (RawInitiator d = connect()) {
            assertThat(d.login("iqn.2026-11.io.jtarget.test:later", TARGET, 1)).isZero();
        }
    }

    @Test
    void shouldRefuseSessionsBeyondTheLimitsButAllowReinstatement() throws Exception {
        start(new ConnectionLimits(1024, 128, 2, 1, 8L << 20), AccessConfig.ANY, Duration.ofSeconds(10));
        try (RawInitiator one = loggedIn("iqn.2026-11.io.jtarget.test:one", 1);
                RawInitiator second = connect()) {
            // Same initiator, another ISID: a second session of it.
            assertThat(second.login("iqn.2026-11.io.jtarget.test:one", TARGET, 2)).isEqualTo(0x0206);
            // Same ISID: reinstatement replaces the session, so it is not counted twice.
            try (RawInitiator again = connect()) {
                assertThat(again.login("iqn.2026-11.io.jtarget.test:one", TARGET, 1)).isZero();
                try (RawInitiator two = loggedIn("iqn.2026-11.io.jtarget.test:two", 1);
                        RawInitiator three = connect()) {
                    assertThat(three.login("iqn.2026-11.io.jtarget.test:three", TARGET, 1)).isEqualTo(0x0302);
                }
            }
        }
    }

    @Test
    void shouldAnswerTaskSetFullWhenTheDataOutBufferBudgetIsSpent() throws Exception {
        start(new ConnectionLimits(1024, 128, 256, 64, 8L << 20), AccessConfig.ANY, Duration.ofSeconds(10));
        try (RawInitiator c = loggedIn("iqn.2026-11.io.jtarget.test:greedy", 1)) {
            int edtl = 8 << 20;
            byte[] big = {0x2a, 0, 0, 0, 0, 0, 0, (byte) ((edtl / 512) >>> 8), (byte) (edtl / 512), 0};
            c.send(c.command(big, IscsiWire.ScsiCommand.FLAG_WRITE, edtl, null));
            Pdu r2t = c.readSkippingNops();
            assertThat(r2t.opcode()).isEqualTo(Opcode.R2T);
            // The first write holds the whole budget until its data arrives; a second write is refused.
            byte[] small = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};
            c.send(c.command(small, IscsiWire.ScsiCommand.FLAG_WRITE, 512, null));
            Pdu response = c.readSkippingNops();
            assertThat(response.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(response.byteAt(3)).isEqualTo(0x28); // TASK SET FULL (SAM-5)
            // Reads need no Data-Out memory and still work.
            assertThat(c.read10(0, 1)).hasSize(512);
        }
        await(() -> server.connectionCount() == 0, 5000, "connection released");
        assertNoLeakReported();
    }

    @Test
    void shouldRefuseInitiatorsNotAllowedAndHideTheTargetFromThem() throws Exception {
        start(ConnectionLimits.defaults(), new AccessConfig(List.of("iqn.2026-11.io.jtarget.test:good"), List.of()),
                Duration.ofSeconds(10));
        try (RawInitiator bad = connect()) {
            assertThat(bad.login("iqn.2026-11.io.jtarget.test:bad", TARGET, 1)).isEqualTo(0x0202);
        }
        try (RawInitiator bad = connect()) {
            assertThat(bad.discoveryLogin("iqn.2026-11.io.jtarget.test:bad")).isZero();
            assertThat(bad.sendTargets()).doesNotContain(TARGET);
        }
        try (RawInitiator good = connect()) {
            assertThat(good.discoveryLogin("iqn.2026-11.io.jtarget.test:good")).isZero();
            assertThat(good.sendTargets()).contains("TargetName=" + TARGET);
        }
        try (RawInitiator good = connect()) {
            assertThat(good.login("iqn.2026-11.io.jtarget.test:GOOD", TARGET, 1)).isZero();
        }
    }
}
