package io.jtarget.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.RamBlockDevice;
import io.jtarget.iscsi.login.BinaryValues;
import io.jtarget.iscsi.login.ChapAlgorithm;
import io.jtarget.iscsi.login.ChapAuthenticator;
import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.LoginNegotiator;
import io.jtarget.iscsi.login.LoginSettings;
import io.jtarget.iscsi.login.NegotiationResult;
import io.jtarget.iscsi.login.NoAuthentication;
import io.jtarget.iscsi.login.SessionType;
import io.jtarget.iscsi.login.Stage;
import io.jtarget.iscsi.login.TargetDirectory;
import io.jtarget.iscsi.login.TargetNegotiationLimits;
import io.jtarget.iscsi.login.TextLimits;
import io.jtarget.iscsi.login.TextParameters;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.PduDecoder;
import io.jtarget.iscsi.pdu.PduFormatException;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.ScsiResponse;
import io.jtarget.scsi.ScsiTargetCore;
import io.jtarget.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Seeded mutation fuzzing of the three parsers that take hostile input first: the PDU decoder,
 * login negotiation (text decoding included) and the SCSI core's CDB parsing. Each runs for a
 * bounded time (a few seconds; the seed is printed, and is part of every failure message, so a
 * failure can be replayed with -Djtarget.fuzz.seed=...). Asserts: no exception other than the
 * protocol's own, every command completes exactly once, no buffer leaks (Netty PARANOID leak
 * detection is on in tests), and that what the fuzzed inputs shared still serves valid input
 * afterwards: the login settings (the CHAP authenticator included) a valid CHAP login and a valid
 * discovery login, the logical unit a valid write and read. Each decoder round gets a fresh
 * decoder (a fuzzed stream cannot be resynchronised, RFC 7143 §7.8), so nothing carries over
 * there; instead every unmutated seed is checked to decode, so mutations start from valid PDUs.
 */
@Timeout(60)
class SeededFuzzTest {
    static final long SEED = Long.getLong("jtarget.fuzz.seed", System.nanoTime());
    static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("jtarget.fuzz.seconds", 4));

    /** Puts the seed into the message of whatever fails, assertion or unexpected exception. */
    @RegisterExtension
    static final TestExecutionExceptionHandler SEED_IN_FAILURES = (context, thrown) -> {
        throw new AssertionError("seed " + SEED + " (replay with -Djtarget.fuzz.seed=" + SEED + "): " + thrown, thrown);
    };

    static byte[] mutate(SplittableRandom r, byte[] seed) {
        byte[] b = seed.clone();
        int kind = r.nextInt(6);
        switch (kind) {
            case 0 -> {
                for (int i = 0, n = 1 + r.nextInt(8); i < n && b.length > 0; i++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> {
                for (int i = 0, n = 1 + r.nextInt(4); i < n && b.length > 0; i++) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            }
            case 2 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length));
            case 3 -> {
                byte[] extra = new byte[r.nextInt(256)];
                r.nextBytes(extra);
                byte[] c = java.util.Arrays.copyOf(b, b.length + extra.length);
                System.arraycopy(extra, 0, c, b.length, extra.length);
                b = c;
            }
            case 4 -> {
                // Interesting lengths and counts: 0, max, just over the limit, sign bits.
                int[] interesting = {0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 8193, 65536};
                if (b.length >= 4) {
                    int at = r.nextInt(b.length - 3);
                    int v = interesting[r.nextInt(interesting.length)];
                    b[at] = (byte) (v >>> 24);
                    b[at + 1] = (byte) (v >>> 16);
                    b[at + 2] = (byte) (v >>> 8);
                    b[at + 3] = (byte) v;
                }
            }
            default -> r.nextBytes(b);
        }
        return b;
    }

    // ------------------------------------------------------------------------------------ decoder

    static byte[] pdu(int opcode, int ahsWords, byte[] data) {
        int padded = (data.length + 3) & ~3;
        byte[] b = new byte[48 + ahsWords * 4 + padded];
        b[0] = (byte) opcode;
        b[1] = (byte) 0x80;
        b[4] = (byte) ahsWords;
        b[5] = (byte) (data.length >>> 16);
        b[6] = (byte) (data.length >>> 8);
        b[7] = (byte) data.length;
        if (ahsWords > 0) {
            b[48] = 0;
            b[49] = (byte) (ahsWords * 4 - 3);
            b[50] = 1; // extended CDB
        }
        System.arraycopy(data, 0, b, 48 + ahsWords * 4, data.length);
        return b;
    }

    @Test
    void shouldDecodeArbitraryBytesWithoutUnexpectedExceptionsOrLeaks() {
        SplittableRandom r = new SplittableRandom(SEED);
        List<byte[]> seeds = List.of(
                pdu(0x43, 0, "InitiatorName=iqn.2026-11.x:y\0SessionType=Normal\0".getBytes(StandardCharsets.UTF_8)),
                pdu(0x01, 0, new byte[512]), pdu(0x01, 5, new byte[0]), pdu(0x05, 0, new byte[4096]),
                pdu(0x00, 0, new byte[0]), pdu(0x04, 0, "SendTargets=All\0".getBytes(StandardCharsets.UTF_8)));
        for (byte[] seed : seeds) {
            EmbeddedChannel channel = new EmbeddedChannel(new PduDecoder(8192));
            channel.writeInbound(Unpooled.wrappedBuffer(seed));
            Object decoded = channel.readInbound();
            assertThat(decoded).as("unmutated seed, opcode 0x%02x", seed[0]).isInstanceOf(IscsiPdu.class);
            ((IscsiPdu) decoded).release();
            assertThat(channel.finishAndReleaseAll()).isFalse();
        }
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int rounds = 0;
        while (System.nanoTime() < deadline && rounds < 200_000) {
            rounds++;
            PduDecoder decoder = new PduDecoder(r.nextBoolean() ? 8192 : 65536);
            decoder.setDigests(r.nextInt(4) == 0, r.nextInt(4) == 0);
            EmbeddedChannel channel = new EmbeddedChannel(decoder);
            try {
                for (int n = 0, pdus = 1 + r.nextInt(4); n < pdus; n++) {
                    byte[] bytes = mutate(r, seeds.get(r.nextInt(seeds.size())));
                    int at = 0;
                    while (at < bytes.length) {
                        int len = Math.min(bytes.length - at, 1 + r.nextInt(Math.max(1, bytes.length)));
                        channel.writeInbound(Unpooled.copiedBuffer(bytes, at, len));
                        at += len;
                    }
                }
            } catch (DecoderException e) {
                assertThat(e.getCause()).as("seed %d", SEED).isInstanceOf(PduFormatException.class);
            } finally {
                Object msg;
                while ((msg = channel.readInbound()) != null) {
                    release(msg);
                }
                channel.finishAndReleaseAll();
            }
        }
        // A valid PDU decodes with the settings of the first round.
        EmbeddedChannel channel = new EmbeddedChannel(new PduDecoder(8192));
        channel.writeInbound(Unpooled.wrappedBuffer(seeds.get(1)));
        IscsiPdu pdu = channel.readInbound();
        assertThat(pdu.opcode()).isEqualTo(0x01);
        assertThat(pdu.data().readableBytes()).isEqualTo(512);
        pdu.release();
        assertThat(channel.finishAndReleaseAll()).isFalse();
        System.out.printf("decoder fuzz: %d rounds, seed %d%n", rounds, SEED);
    }

    private static void release(Object msg) {
        if (msg instanceof IscsiPdu p) {
            p.release();
        } else if (msg instanceof PduDecoder.DecodeError e) {
            e.release();
        }
    }

    // ------------------------------------------------------------------------------------ login

    static final String TARGET = "iqn.2026-11.io.jtarget:fuzz";
    static final TargetDirectory DIRECTORY = new TargetDirectory() {
        @Override
        public Optional<TargetIdentity> find(String targetName) {
            return targetName.equals(TARGET) ? Optional.of(new TargetIdentity(TARGET, Optional.empty())) : Optional.empty();
        }
    };

    static final String CHAP_USER = "user";
    static final byte[] CHAP_SECRET = "fuzz-secret-123".getBytes(StandardCharsets.UTF_8);

    static LoginSettings settings() {
        ChapAuthenticator chap = new ChapAuthenticator(
                new ChapAuthenticator.Credentials(CHAP_USER, CHAP_SECRET),
                Optional.of(new ChapAuthenticator.Credentials("tgt", "target-secret-99".getBytes(StandardCharsets.UTF_8))),
                EnumSet.allOf(ChapAlgorithm.class), (type, target) -> type == SessionType.NORMAL, new SecureRandom());
        return new LoginSettings(TargetNegotiationLimits.defaults(), 1, DIRECTORY,
                List.of(chap, NoAuthentication.where((type, target) -> type == SessionType.DISCOVERY)),
                TextLimits.defaults());
    }

    static final String[] KEYS = {"InitiatorName", "TargetName", "SessionType", "AuthMethod", "CHAP_A", "CHAP_I",
        "CHAP_C", "CHAP_N", "CHAP_R", "HeaderDigest", "DataDigest", "MaxRecvDataSegmentLength", "MaxBurstLength",
        "FirstBurstLength", "InitialR2T", "ImmediateData", "MaxOutstandingR2T", "ErrorRecoveryLevel",
        "MaxConnections", "DefaultTime2Wait", "X-vendor", "IFMarker", "OFMarkInt", "SendTargets", "TargetAlias",
        "iSCSIProtocolLevel", "TaskReporting"};
    static final String[] VALUES = {"iqn.2026-11.x:y", TARGET, "Normal", "Discovery", "CHAP", "None", "CHAP,None",
        "5", "8,7,6,5", "0x", "0b", "0x00", "0xzz", "0b////", "256", "-1", "4294967296", "0x" + "ab".repeat(600),
        "user", "Yes", "No", "CRC32C,None", "512", "16777215", "16777216", "", ",", "Reject", "Irrelevant",
        "NotUnderstood", "\u00e9\u00e9", "x".repeat(300)};

    @Test
    void shouldNegotiateArbitraryLoginTextWithoutExceptions() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        LoginSettings settings = settings();
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int logins = 0;
        while (System.nanoTime() < deadline && logins < 100_000) {
            logins++;
            LoginNegotiator negotiator = new LoginNegotiator(settings, null);
            for (int step = 0, steps = 1 + r.nextInt(5); step < steps; step++) {
                List<KeyValue> keys = new ArrayList<>();
                if (step == 0 && r.nextInt(4) != 0) {
                    keys.add(KeyValue.of("InitiatorName", "iqn.2026-11.x:y"));
                    keys.add(KeyValue.of("TargetName", TARGET));
                }
                for (int k = 0, n = r.nextInt(8); k < n; k++) {
                    keys.add(KeyValue.of(KEYS[r.nextInt(KEYS.length)], VALUES[r.nextInt(VALUES.length)]));
                }
                byte[] raw = mutate(r, TextParameters.encode(keys));
                TextParameters.Decoded decoded = TextParameters.decode(raw, TextLimits.defaults());
                if (decoded instanceof TextParameters.Decoded.Ok ok) {
                    Stage stage = r.nextBoolean() ? Stage.SECURITY_NEGOTIATION : Stage.LOGIN_OPERATIONAL_NEGOTIATION;
                    NegotiationResult result = negotiator.negotiate(stage, ok.pairs());
                    assertThat(result).isNotNull();
                    if (negotiator.readyForFullFeaturePhase()) {
                        assertThat(negotiator.negotiatedParameters()).isNotNull();
                    }
                }
            }
        }
        // The settings every fuzzed login went through still serve valid logins: a discovery
        // login without authentication, and a normal one through the shared CHAP authenticator.
        LoginNegotiator valid = new LoginNegotiator(settings, null);
        NegotiationResult result = valid.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, List.of(
                KeyValue.of("InitiatorName", "iqn.2026-11.x:y"), KeyValue.of("SessionType", "Discovery")));
        assertThat(result).isInstanceOf(NegotiationResult.Proceed.class);
        assertThat(valid.readyForFullFeaturePhase()).isTrue();
        assertChapLoginCompletes(settings);
        System.out.printf("login fuzz: %d logins, seed %d%n", logins, SEED);
    }

    /** A normal-session login with one-way CHAP (SHA-256) through {@code settings}, to full feature phase. */
    private static void assertChapLoginCompletes(LoginSettings settings) throws Exception {
        LoginNegotiator n = new LoginNegotiator(settings, null);
        assertThat(answers(n.negotiate(Stage.SECURITY_NEGOTIATION, List.of(KeyValue.of("InitiatorName", "iqn.2026-11.x:y"),
                KeyValue.of("TargetName", TARGET), KeyValue.of("SessionType", "Normal"),
                KeyValue.of("AuthMethod", "CHAP"))))).containsEntry("AuthMethod", "CHAP");
        Map<String, String> challenge = answers(n.negotiate(Stage.SECURITY_NEGOTIATION,
                List.of(KeyValue.of("CHAP_A", "7"))));
        assertThat(challenge).containsEntry("CHAP_A", "7");
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update((byte) Integer.parseInt(challenge.get("CHAP_I")));
        sha256.update(CHAP_SECRET);
        sha256.update(BinaryValues.decode(challenge.get("CHAP_C")).orElseThrow());
        NegotiationResult authenticated = n.negotiate(Stage.SECURITY_NEGOTIATION, List.of(
                KeyValue.of("CHAP_N", CHAP_USER), KeyValue.of("CHAP_R", BinaryValues.hex(sha256.digest()))));
        assertThat(authenticated).isInstanceOf(NegotiationResult.Proceed.class);
        assertThat(((NegotiationResult.Proceed) authenticated).stageComplete()).isTrue();
        assertThat(n.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, List.of()))
                .isInstanceOf(NegotiationResult.Proceed.class);
        assertThat(n.readyForFullFeaturePhase()).isTrue();
    }

    private static Map<String, String> answers(NegotiationResult result) {
        assertThat(result).isInstanceOf(NegotiationResult.Proceed.class);
        Map<String, String> out = new HashMap<>();
        ((NegotiationResult.Proceed) result).response().forEach(kv -> out.put(kv.key(), kv.value()));
        return out;
    }

    // ------------------------------------------------------------------------------------ CDBs

    static final ItNexus NEXUS = new ItNexus("iqn.2026-11.x:y,i,0x000000000001", TARGET + ",t,0x0001", 1);

    @Test
    void shouldAnswerArbitraryCdbsExactlyOnceWithoutExceptions() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 2);
        RamBlockDevice device = new RamBlockDevice(1L << 20, 512);
        try (ScsiTargetCore core = new ScsiTargetCore(TARGET, List.of(new LogicalUnit(0, device, false, "fuzz0001")))) {
            core.nexusEstablished(NEXUS);
            byte[][] seeds = {
                {0x00, 0, 0, 0, 0, 0}, {0x12, 0, 0, 0, (byte) 0xff, 0}, {0x12, 1, (byte) 0x83, 0, (byte) 0xff, 0},
                {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0}, {0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0},
                {(byte) 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0},
                {(byte) 0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0},
                {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {(byte) 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0},
                {0x1a, 0, 0x3f, 0, (byte) 0xff, 0}, {0x5a, 0, 0x3f, 0, 0, 0, 0, 1, 0, 0}, {0x03, 0, 0, 0, 18, 0},
                {(byte) 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                {0x2f, 0, 0, 0, 0, 0, 0, 0, 8, 0}, {(byte) 0x93, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0},
                {0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0}, {(byte) 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0},
                {0x55, 0x10, 0, 0, 0, 0, 0, 0, 24, 0}, {0x4d, 0, 0, 0, 0, 0, 0, 0, 64, 0}};
            long deadline = System.nanoTime() + BUDGET_NANOS;
            long tag = 1;
            int commands = 0;
            while (System.nanoTime() < deadline && commands < 200_000) {
                commands++;
                byte[] cdb = mutate(r, seeds[r.nextInt(seeds.length)]);
                if (cdb.length == 0) {
                    cdb = new byte[] {0};
                }
                int expected = r.nextInt(4) == 0 ? r.nextInt(1 << 20) : r.nextInt(8192);
                ScsiCommand.DataDirection direction = ScsiCommand.DataDirection.values()[r.nextInt(
                        ScsiCommand.DataDirection.values().length)];
                ByteBuf dataOut = null;
                if (direction == ScsiCommand.DataDirection.WRITE || direction == ScsiCommand.DataDirection.BIDIRECTIONAL) {
                    int length = r.nextInt(4) == 0 ? r.nextInt(Math.max(1, expected)) : Math.min(expected, 65536);
                    dataOut = ByteBufAllocator.DEFAULT.buffer(length);
                    byte[] bytes = new byte[length];
                    r.nextBytes(bytes);
                    dataOut.writeBytes(bytes);
                }
                ScsiResponse response = run(core, cdb, tag++, r.nextInt(8) == 0 ? r.nextInt(4) : 0, direction, expected, dataOut);
                if (dataOut != null) {
                    dataOut.release();
                }
                if (response.dataIn() != null) {
                    response.dataIn().release();
                }
            }
            // A valid write and read still work on the same logical unit.
            byte[] pattern = new byte[4096];
            r.nextBytes(pattern);
            // Undo what fuzzed commands may legitimately have done (START STOP UNIT stopped the
            // unit, unit attentions queued): START UNIT, then TEST UNIT READY until GOOD.
            run(core, new byte[] {0x1b, 0, 0, 0, 1, 0}, tag++, 0, ScsiCommand.DataDirection.NONE, 0, null);
            for (int i = 0; i < 8 && run(core, new byte[6], tag++, 0, ScsiCommand.DataDirection.NONE, 0, null).status() != 0; i++) {
                // each call consumes one unit attention
            }
            ByteBuf out = Unpooled.wrappedBuffer(pattern);
            ScsiResponse write = run(core, new byte[] {0x2a, 0, 0, 0, 0, 16, 0, 0, 8, 0}, tag++, 0,
                    ScsiCommand.DataDirection.WRITE, 4096, out);
            out.release();
            assertThat(write.status()).as("WRITE after fuzzing, sense %s", write.sense() == null ? "-"
                    : java.util.HexFormat.of().formatHex(write.sense())).isZero();
            ScsiResponse read = run(core, new byte[] {0x28, 0, 0, 0, 0, 16, 0, 0, 8, 0}, tag++, 0,
                    ScsiCommand.DataDirection.READ, 4096, null);
            assertThat(read.status()).isZero();
            byte[] back = new byte[4096];
            read.dataIn().getBytes(read.dataIn().readerIndex(), back);
            read.dataIn().release();
            assertThat(back).isEqualTo(pattern);
            // run() checks the count when the first completion arrives; a second one may come later.
            for (Completion c : completions) {
                assertThat(c.calls().get()).as("completions of CDB %s", java.util.HexFormat.of().formatHex(c.cdb()))
                        .isEqualTo(1);
            }
            assertThat(completions).hasSizeGreaterThan(commands);
            System.out.printf("CDB fuzz: %d commands, seed %d%n", commands, SEED);
        } finally {
            device.close();
        }
    }

    /** One submitted command and how often its completion callback ran. */
    private record Completion(byte[] cdb, AtomicInteger calls) {}

    /** Every command of the CDB test, so the end can check none completed twice late. */
    private final List<Completion> completions = new ArrayList<>();

    private ScsiResponse run(ScsiTargetCore core, byte[] cdb, long tag, int lun, ScsiCommand.DataDirection direction,
            int expected, ByteBuf dataOut) throws Exception {
        CompletableFuture<ScsiResponse> done = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        completions.add(new Completion(cdb, calls));
        core.submit(new ScsiCommand(NEXUS, lun, cdb, tag, TaskAttribute.SIMPLE, direction, expected, dataOut,
                ByteBufAllocator.DEFAULT), response -> {
                    calls.incrementAndGet();
                    if (!done.complete(response) && response.dataIn() != null) {
                        response.dataIn().release();
                    }
                });
        ScsiResponse response = done.get(10, TimeUnit.SECONDS);
        assertThat(calls.get()).as("completions of CDB %s", java.util.HexFormat.of().formatHex(cdb)).isEqualTo(1);
        return response;
    }
}
