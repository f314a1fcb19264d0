package io.jtarget.srp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.backstore.HeldDevice;
import io.jtarget.config.LunConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.iser.RegisteredDataAllocator;
import io.jtarget.rdma.FakeRdmaLink;
import io.jtarget.rdma.FakeRdmaLink.Op;
import io.jtarget.rdma.FakeRdmaLink.WorkRequest;
import io.jtarget.rdma.RdmaBufferPool;
import io.jtarget.rdma.RdmaConnection;
import io.jtarget.rdma.RegisteredBuffer;
import io.jtarget.rdma.SendChain;
import io.jtarget.registry.Registry;
import io.jtarget.registry.ServedTarget;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.ScsiStatus;
import io.jtarget.scsi.TransportId;
import io.jtarget.testinit.Cdbs;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SRP channel's protocol (T10 SRP-2) over a fake RDMA link: SRP_CMD to RDMA Reads and Writes
 * and SRP_RSP, credits, task management, back-pressure, and every way out of a channel, with a
 * real SCSI core on a RAM LU whose I/O can be held. The test thread is the channel's loop. After
 * every test each channel is disconnected and drained, and every registered and send buffer must
 * be back in its pool.
 */
class SrpChannelTest {
    private static final int BLOCK = 512;
    private static final int IMMEDIATE_OFFSET = 64;
    private static final long REMOTE = 0x7f00_0000_1000L;
    private static final int RKEY = 0x1234;
    private static final byte[] PORT_ID = HexFormat.of().parseHex("fe800000000000000002c90300a1b2c3");

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final HeldDevice device = new HeldDevice(1024 * 1024, BLOCK);
    private final List<RdmaBufferPool> pools = new ArrayList<>();
    private final List<FakeRdmaLink> links = new ArrayList<>();
    private final List<SrpChannel> channels = new ArrayList<>();
    private Registry registry;
    private ServedTarget target;
    private SrpTargetPort port;
    private RegisteredDataAllocator data;
    private RdmaBufferPool sendPool;
    private SrpNexus nexus;
    private long nextTag = 1;

    /** A channel, its link and what the test saw of it. */
    private final class Channel {
        final SrpChannel channel;
        final FakeRdmaLink link;

        Channel(SrpChannel channel, FakeRdmaLink link) {
            this.channel = channel;
            this.link = link;
        }

        void receive(byte[] iu) {
            MemorySegment m = MemorySegment.ofArray(iu);
            channel.received(m);
            loop.runPendingTasks();
        }

        /** The next work request posted; fails when there is none. */
        WorkRequest next() {
            loop.runPendingTasks();
            WorkRequest w = link.next();
            assertThat(w).as("a work request was posted").isNotNull();
            return w;
        }

        /** The next posted work request, a signaled SEND of an SRP_RSP, completed with success. */
        Response response() {
            WorkRequest w = next();
            assertThat(w.op()).isEqualTo(Op.SEND);
            assertThat(w.signaled()).as("one signaled completion per command").isTrue();
            link.complete(w, 0);
            loop.runPendingTasks();
            return new Response(w.bytes());
        }

        void expectNothing() {
            loop.runPendingTasks();
            assertThat(link.takeAll()).isEmpty();
        }
    }

    /** An SRP_RSP (SRP-2 §5.9) as sent. */
    private record Response(byte[] bytes) {
        int opcode() {
            return bytes[0] & 0xff;
        }

        int delta() {
            return seg().get(SrpIu.INT, 4);
        }

        long tag() {
            return seg().get(SrpIu.LONG, 8);
        }

        int flags() {
            return bytes[18] & 0xff;
        }

        int status() {
            return bytes[19] & 0xff;
        }

        int dataOutResidual() {
            return seg().get(SrpIu.INT, 20);
        }

        int dataInResidual() {
            return seg().get(SrpIu.INT, 24);
        }

        byte[] sense() {
            int senseLength = seg().get(SrpIu.INT, 28);
            int responseLength = seg().get(SrpIu.INT, 32);
            int at = SrpIu.RSP_HEADER_LENGTH + responseLength;
            return Arrays.copyOfRange(bytes, at, at + senseLength);
        }

        int responseCode() {
            assertThat(flags() & SrpIu.RSP_FLAG_RSPVALID).as("RSPVALID").isNotZero();
            return seg().get(SrpIu.INT, SrpIu.RSP_HEADER_LENGTH);
        }

        private MemorySegment seg() {
            return MemorySegment.ofArray(bytes);
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        loop.freezeTime();
        registry = new Registry(spec -> device, null);
        target = registry.addTarget(new TargetConfig("iqn.2026-12.io.jtarget:srp-unit",
                List.of(new LunConfig(0, new BackingSpec.Ram(1024 * 1024), false, false))));
        port = new SrpTargetPort(registry, null);
        pools.add(FakeRdmaLink.pool("data-4k", 4096, 8));
        pools.add(FakeRdmaLink.pool("data-64k", 64 * 1024, 2));
        data = RegisteredDataAllocator.over(pools);
        sendPool = FakeRdmaLink.pool("send", SrpTargetPort.MAX_TI_IU, 16);
        String targetPort = SrpTargetPort.targetPortName(new byte[16]);
        nexus = new SrpNexus(ItNexus.of(new TransportId.Srp(PORT_ID), targetPort, SrpTargetPort.RELATIVE_PORT_ID),
                target);
        target.core().addTargetPort(SrpTargetPort.RELATIVE_PORT_ID, targetPort);
        target.core().nexusEstablished(nexus.itNexus());
    }

    @AfterEach
    void everyBufferBackInItsPool() {
        device.hold = false;
        device.release();
        loop.runPendingTasks();
        for (FakeRdmaLink link : links) {
            if (link.state() == RdmaConnection.State.LIVE) {
                link.completeAll();
                link.disconnect("end of test");
            }
            if (link.state() == RdmaConnection.State.DRAINING) {
                link.drain();
            }
            loop.runPendingTasks();
        }
        for (SrpChannel c : channels) {
            assertThat(c.outstanding()).as("task slots in use").isZero();
        }
        for (RdmaBufferPool pool : pools) {
            assertThat(pool.available()).as("chunks of " + pool.name()).isEqualTo(pool.chunkCount());
        }
        assertThat(sendPool.available()).as("send buffers").isEqualTo(sendPool.chunkCount());
        links.forEach(FakeRdmaLink::close);
        pools.forEach(RdmaBufferPool::close);
        sendPool.close();
        loop.finishAndReleaseAll();
    }

    // ------------------------------------------------------------------ the harness

    private Channel open(int sendDepth, int immediateOffset) {
        SrpChannel channel = new SrpChannel(port, nexus, data, sendPool, loop.eventLoop(), 4, immediateOffset);
        assertThat(nexus.add(channel)).isTrue();
        return attach(channel, sendDepth);
    }

    /** The channel over a new fake link of {@code sendDepth} send slots. */
    private Channel attach(SrpChannel channel, int sendDepth) {
        FakeRdmaLink link = new FakeRdmaLink(sendDepth, 4);
        link.events(new FakeRdmaLink.Events() {
            @Override
            public void onSendCompleted(long cookie, int status) {
                channel.sendCompleted(cookie, status);
            }

            @Override
            public void onWritable() {
                channel.onWritable(null);
            }

            @Override
            public void onDisconnecting(String reason) {
                channel.disconnecting(reason);
            }

            @Override
            public void onReleased() {
                channel.released();
            }
        });
        channel.attach(link);
        links.add(link);
        channels.add(channel);
        return new Channel(channel, link);
    }

    /** A channel whose nexus took its first unit attention (SAM-5 §5.14), as initiators do. */
    private Channel live(int sendDepth, int immediateOffset) {
        Channel c = open(sendDepth, immediateOffset);
        c.receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        assertThat(c.response().status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        return c;
    }

    private Channel live() {
        return live(64, 0);
    }

    /** SRP_CMD (SRP-2 §5.8): descriptors of one direction, direct when one, indirect (table in the IU) when more. */
    private byte[] command(byte[] cdb, int outFormat, int inFormat, SrpIu.Descriptor[] descriptors) {
        int format = outFormat != 0 ? outFormat : inFormat;
        int length = SrpIu.CMD_HEADER_LENGTH + switch (format) {
            case SrpIu.FMT_DIRECT -> SrpIu.DIRECT_DESCRIPTOR_LENGTH;
            case SrpIu.FMT_INDIRECT -> SrpIu.INDIRECT_HEADER_LENGTH
                    + descriptors.length * SrpIu.DIRECT_DESCRIPTOR_LENGTH;
            default -> 0;
        };
        byte[] iu = new byte[length];
        MemorySegment m = MemorySegment.ofArray(iu);
        iu[0] = (byte) SrpIu.CMD;
        iu[5] = (byte) (outFormat << 4 | inFormat);
        iu[outFormat != 0 ? 6 : 7] = (byte) descriptors.length;
        m.set(SrpIu.LONG, 8, nextTag++);
        System.arraycopy(cdb, 0, iu, 32, cdb.length);
        int at = SrpIu.CMD_HEADER_LENGTH;
        if (format == SrpIu.FMT_INDIRECT) {
            long total = 0;
            for (SrpIu.Descriptor d : descriptors) {
                total += d.length();
            }
            m.set(SrpIu.LONG, at, 0xdead_0000L); // the table's own descriptor: not read by a target
            m.set(SrpIu.INT, at + 12, descriptors.length * SrpIu.DIRECT_DESCRIPTOR_LENGTH);
            m.set(SrpIu.INT, at + 16, (int) total);
            at += SrpIu.INDIRECT_HEADER_LENGTH;
        }
        if (format == SrpIu.FMT_DIRECT || format == SrpIu.FMT_INDIRECT) {
            for (SrpIu.Descriptor d : descriptors) {
                m.set(SrpIu.LONG, at, d.address());
                m.set(SrpIu.INT, at + 8, d.rkey());
                m.set(SrpIu.INT, at + 12, d.length());
                at += SrpIu.DIRECT_DESCRIPTOR_LENGTH;
            }
        }
        return iu;
    }

    private byte[] read(long lba, int blocks, SrpIu.Descriptor... descriptors) {
        return command(Cdbs.read10(lba, blocks), 0,
                descriptors.length == 1 ? SrpIu.FMT_DIRECT : SrpIu.FMT_INDIRECT, descriptors);
    }

    private byte[] write(long lba, int blocks, SrpIu.Descriptor... descriptors) {
        return command(Cdbs.write10(lba, blocks, false),
                descriptors.length == 1 ? SrpIu.FMT_DIRECT : SrpIu.FMT_INDIRECT, 0, descriptors);
    }

    /** A write whose Data-Out rides in the SRP_CMD (format 3): a 4-byte length, the data at {@code offset}. */
    private byte[] immediateWrite(long lba, byte[] bytes, int offset, int declaredLength) {
        byte[] iu = new byte[offset + bytes.length];
        MemorySegment m = MemorySegment.ofArray(iu);
        iu[0] = (byte) SrpIu.CMD;
        iu[5] = (byte) (SrpIu.FMT_IMMEDIATE << 4);
        m.set(SrpIu.LONG, 8, nextTag++);
        byte[] cdb = Cdbs.write10(lba, declaredLength / BLOCK, false);
        System.arraycopy(cdb, 0, iu, 32, cdb.length);
        m.set(SrpIu.INT, SrpIu.CMD_HEADER_LENGTH, declaredLength);
        System.arraycopy(bytes, 0, iu, offset, bytes.length);
        return iu;
    }

    private byte[] taskManagement(int function, long taskTag) {
        byte[] iu = new byte[SrpIu.TSK_MGMT_LENGTH];
        MemorySegment m = MemorySegment.ofArray(iu);
        iu[0] = (byte) SrpIu.TSK_MGMT;
        m.set(SrpIu.LONG, 8, nextTag++);
        iu[30] = (byte) function;
        m.set(SrpIu.LONG, 32, taskTag);
        return iu;
    }

    private static byte[] iu(int opcode, int length) {
        byte[] iu = new byte[length];
        iu[0] = (byte) opcode;
        return iu;
    }

    private static SrpIu.Descriptor at(long address, int length) {
        return new SrpIu.Descriptor(address, RKEY, length);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private void store(long lba, byte[] bytes) {
        Throwable[] failed = {null};
        boolean[] done = {false};
        device.write(nexus.itNexus(), lba, bytes.length / BLOCK, Unpooled.wrappedBuffer(bytes), false, e -> {
            failed[0] = e;
            done[0] = true;
        });
        assertThat(done[0]).isTrue();
        assertThat(failed[0]).isNull();
    }

    /** READ(10) through the channel into one direct descriptor; the Data-In the RDMA Write carried. */
    private byte[] readBack(Channel c, long lba, int blocks) {
        c.receive(read(lba, blocks, at(REMOTE, blocks * BLOCK)));
        WorkRequest write = c.next();
        assertThat(write.op()).isEqualTo(Op.RDMA_WRITE);
        assertThat(c.response().status()).isEqualTo(ScsiStatus.GOOD);
        return write.bytes();
    }

    private static void assertInvalidFieldInIu(Response r) {
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(r.flags() & SrpIu.RSP_FLAG_SNSVALID).isNotZero();
        byte[] sense = r.sense();
        assertThat(sense[2] & 0x0f).as("ILLEGAL REQUEST").isEqualTo(0x05);
        assertThat(sense[12] & 0xff).as("ASC").isEqualTo(0x0E);
        assertThat(sense[13] & 0xff).as("ASCQ: INVALID FIELD IN COMMAND INFORMATION UNIT").isEqualTo(0x03);
    }

    // ------------------------------------------------------------------ READ

    @Test
    void readWritesTheDataInToTheDescriptorThenSendsOneSignaledResponseWithTheUnderflow() {
        Channel c = live();
        byte[] stored = pattern(2048, 1);
        store(8, stored);
        long tag = nextTag;
        c.receive(read(8, 4, at(REMOTE, 4096))); // the initiator's buffer is larger than the transfer
        WorkRequest write = c.next();
        assertThat(write.op()).isEqualTo(Op.RDMA_WRITE);
        assertThat(write.remoteAddress()).isEqualTo(REMOTE);
        assertThat(write.rkey()).isEqualTo(RKEY);
        assertThat(write.signaled()).as("the SEND behind it retires it").isFalse();
        assertThat(write.bytes()).isEqualTo(stored);
        Response r = c.response();
        assertThat(c.link.posts()).as("Data-In and SRP_RSP in one chain: one post for the command").isEqualTo(2);
        assertThat(r.opcode()).isEqualTo(SrpIu.RSP);
        assertThat(r.tag()).isEqualTo(tag);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.flags() & SrpIu.RSP_FLAG_DIUNDER).as("DIUNDER").isNotZero();
        assertThat(r.dataInResidual()).isEqualTo(2048);
        assertThat(r.delta()).isEqualTo(1);
        c.expectNothing();
    }

    @Test
    void readScattersTheDataInOverEveryIndirectDescriptor() {
        Channel c = live();
        byte[] stored = pattern(4096, 2);
        store(0, stored);
        c.receive(read(0, 8, at(REMOTE, 1024), at(REMOTE + 0x10000, 512), at(REMOTE + 0x20000, 2560)));
        List<WorkRequest> writes = List.of(c.next(), c.next(), c.next());
        assertThat(writes).extracting(WorkRequest::op).containsOnly(Op.RDMA_WRITE);
        assertThat(writes).extracting(WorkRequest::remoteAddress)
                .containsExactly(REMOTE, REMOTE + 0x10000, REMOTE + 0x20000);
        assertThat(writes.get(0).bytes()).isEqualTo(Arrays.copyOfRange(stored, 0, 1024));
        assertThat(writes.get(1).bytes()).isEqualTo(Arrays.copyOfRange(stored, 1024, 1536));
        assertThat(writes.get(2).bytes()).isEqualTo(Arrays.copyOfRange(stored, 1536, 4096));
        Response r = c.response();
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.flags() & (SrpIu.RSP_FLAG_DIUNDER | SrpIu.RSP_FLAG_DIOVER)).isZero();
        assertThat(r.dataInResidual()).isZero();
    }

    @Test
    void moreDescriptorsThanOneChainHoldsArePostedInSeveralChains() {
        Channel c = live();
        byte[] bytes = pattern(20 * BLOCK, 12);
        SrpIu.Descriptor[] twenty = new SrpIu.Descriptor[20];
        for (int i = 0; i < twenty.length; i++) {
            twenty[i] = at(REMOTE + i * 0x1000L, BLOCK);
        }
        c.receive(write(0, 20, twenty));
        List<WorkRequest> reads = c.link.takeAll();
        assertThat(reads).hasSize(20).extracting(WorkRequest::op).containsOnly(Op.RDMA_READ);
        assertThat(reads).filteredOn(WorkRequest::signaled).containsExactly(reads.get(19));
        for (int i = 0; i < 20; i++) {
            assertThat(reads.get(i).remoteAddress()).isEqualTo(REMOTE + i * 0x1000L);
            c.link.playRead(reads.get(i), Arrays.copyOfRange(bytes, i * BLOCK, (i + 1) * BLOCK));
        }
        c.link.complete(reads.get(19), 0);
        assertThat(c.response().status()).isEqualTo(ScsiStatus.GOOD);

        int posts = c.link.posts();
        c.receive(read(0, 20, twenty));
        List<WorkRequest> sent = c.link.takeAll();
        assertThat(c.link.posts() - posts).as("21 work requests, 16 per chain").isEqualTo(2);
        assertThat(sent).hasSize(21);
        for (int i = 0; i < 20; i++) {
            assertThat(sent.get(i).op()).isEqualTo(Op.RDMA_WRITE);
            assertThat(sent.get(i).remoteAddress()).isEqualTo(REMOTE + i * 0x1000L);
            assertThat(sent.get(i).bytes()).isEqualTo(Arrays.copyOfRange(bytes, i * BLOCK, (i + 1) * BLOCK));
        }
        assertThat(sent.get(20).op()).isEqualTo(Op.SEND);
        c.link.complete(sent.get(20), 0);
        assertThat(new Response(sent.get(20).bytes()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void residualsSayWhatTheInitiatorsBuffersCouldNotHoldOrDidNotNeed() {
        Channel c = live();
        byte[] stored = pattern(2048, 13);
        store(0, stored);
        c.receive(read(0, 4, at(REMOTE, 1024))); // 2048 bytes read into a 1024-byte buffer
        WorkRequest write = c.next();
        assertThat(write.bytes()).isEqualTo(Arrays.copyOf(stored, 1024));
        Response over = c.response();
        assertThat(over.flags() & SrpIu.RSP_FLAG_DIOVER).as("DIOVER").isNotZero();
        assertThat(over.dataInResidual()).isEqualTo(1024);

        c.receive(write(0, 2, at(REMOTE, 2048))); // 1024 bytes written from a 2048-byte buffer
        WorkRequest fetch = c.next();
        c.link.playRead(fetch, pattern(2048, 14));
        c.link.complete(fetch, 0);
        Response under = c.response();
        assertThat(under.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(under.flags() & SrpIu.RSP_FLAG_DOUNDER).as("DOUNDER").isNotZero();
        assertThat(under.dataOutResidual()).isEqualTo(1024);
        assertThat(readBack(c, 0, 2)).isEqualTo(Arrays.copyOf(pattern(2048, 14), 1024));
    }

    @Test
    void eachResponseReturnsItsOwnCreditSoCreditsBoundTheCommandsInTheCore() {
        Channel c = live();
        device.hold = true;
        long first = nextTag;
        c.receive(read(0, 1, at(REMOTE, BLOCK)));
        c.receive(read(1, 1, at(REMOTE, BLOCK)));
        long tur = nextTag;
        c.receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        Response r = c.response();
        assertThat(r.tag()).isEqualTo(tur);
        assertThat(r.delta()).as("the TEST UNIT READY's own; the held commands keep theirs").isEqualTo(1);
        device.hold = false;
        device.release();
        List<Response> rest = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            assertThat(c.next().op()).isEqualTo(Op.RDMA_WRITE);
            rest.add(c.response());
        }
        assertThat(rest).extracting(Response::tag).containsExactly(first, first + 1);
        assertThat(rest).extracting(Response::delta).containsExactly(1, 1);
    }

    // ------------------------------------------------------------------ WRITE

    @Test
    void writeFetchesTheDataOutByRdmaReadsThenTheLuHasIt() {
        Channel c = live();
        byte[] bytes = pattern(3072, 3);
        c.receive(write(16, 6, at(REMOTE, 1024), at(REMOTE + 0x8000, 2048)));
        WorkRequest first = c.next();
        WorkRequest second = c.next();
        assertThat(List.of(first, second)).extracting(WorkRequest::op).containsOnly(Op.RDMA_READ);
        assertThat(List.of(first, second)).extracting(WorkRequest::remoteAddress)
                .containsExactly(REMOTE, REMOTE + 0x8000);
        assertThat(List.of(first, second)).extracting(WorkRequest::length).containsExactly(1024, 2048);
        assertThat(first.rkey()).isEqualTo(RKEY);
        assertThat(first.signaled()).isFalse();
        assertThat(second.signaled()).as("the last RDMA Read is signaled").isTrue();
        c.link.playRead(first, Arrays.copyOfRange(bytes, 0, 1024));
        c.link.playRead(second, Arrays.copyOfRange(bytes, 1024, 3072));
        assertThat(device.writes).as("nothing reaches the LU before the data is in").isZero();
        c.link.complete(second, 0);
        Response r = c.response();
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.flags() & (SrpIu.RSP_FLAG_DOUNDER | SrpIu.RSP_FLAG_DOOVER)).isZero();
        assertThat(readBack(c, 16, 6)).isEqualTo(bytes);
    }

    @Test
    void grantedImmediateDataIsTakenFromTheIuAtTheAgreedOffset() {
        Channel c = live(64, IMMEDIATE_OFFSET);
        byte[] bytes = pattern(1024, 4);
        c.receive(immediateWrite(4, bytes, IMMEDIATE_OFFSET, bytes.length));
        Response r = c.response(); // no RDMA Read before it
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(c.channel.immediateCommands()).isEqualTo(1);
        assertThat(readBack(c, 4, 2)).isEqualTo(bytes);
    }

    @Test
    void immediateDataNotGrantedIsRefused() {
        Channel c = live(64, 0);
        c.receive(immediateWrite(4, pattern(512, 5), IMMEDIATE_OFFSET, 512));
        assertInvalidFieldInIu(c.response());
        assertThat(device.writes).isZero();
    }

    @Test
    void immediateDataLongerThanTheIuIsRefused() {
        Channel c = live(64, IMMEDIATE_OFFSET);
        c.receive(immediateWrite(4, pattern(512, 6), IMMEDIATE_OFFSET, 1024));
        assertInvalidFieldInIu(c.response());
        assertThat(device.writes).isZero();
    }

    // ------------------------------------------------------------------ refusals

    @Test
    void bidirectionalCommandsAreRefused() {
        Channel c = live();
        byte[] iu = command(Cdbs.read10(0, 1), SrpIu.FMT_DIRECT, SrpIu.FMT_DIRECT, new SrpIu.Descriptor[0]);
        c.receive(Arrays.copyOf(iu, iu.length + 2 * SrpIu.DIRECT_DESCRIPTOR_LENGTH));
        assertInvalidFieldInIu(c.response());
    }

    @Test
    void malformedOrTruncatedDescriptorsAreRefused() {
        Channel c = live();
        byte[] direct = read(0, 1, at(REMOTE, BLOCK));
        c.receive(Arrays.copyOf(direct, direct.length - 4)); // the descriptor runs past the IU
        assertInvalidFieldInIu(c.response());

        byte[] ragged = read(0, 2, at(REMOTE, BLOCK), at(REMOTE + BLOCK, BLOCK));
        MemorySegment.ofArray(ragged).set(SrpIu.INT, SrpIu.CMD_HEADER_LENGTH + 12, 24); // not a whole entry
        c.receive(ragged);
        assertInvalidFieldInIu(c.response());

        c.receive(Arrays.copyOf(direct, 40)); // shorter than an SRP_CMD header
        assertInvalidFieldInIu(c.response());

        byte[] format = read(0, 1, at(REMOTE, BLOCK));
        format[5] = 0x05; // no such descriptor format
        c.receive(format);
        assertInvalidFieldInIu(c.response());
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.LIVE);
    }

    @Test
    void anExternalIndirectTableIsRefused() {
        Channel c = live();
        // The table names four entries but only one lies in the IU: the rest would have to be fetched.
        byte[] iu = read(0, 4, at(REMOTE, BLOCK), at(REMOTE + BLOCK, BLOCK));
        MemorySegment m = MemorySegment.ofArray(iu);
        m.set(SrpIu.INT, SrpIu.CMD_HEADER_LENGTH + 12, 4 * SrpIu.DIRECT_DESCRIPTOR_LENGTH);
        iu[7] = 4;
        c.receive(Arrays.copyOf(iu, SrpIu.CMD_HEADER_LENGTH + SrpIu.INDIRECT_HEADER_LENGTH
                + SrpIu.DIRECT_DESCRIPTOR_LENGTH));
        assertInvalidFieldInIu(c.response());
    }

    @Test
    void aWriteWithoutRegisteredMemoryLeftIsBusy() {
        Channel c = live();
        List<RegisteredBuffer> taken = new ArrayList<>();
        for (RdmaBufferPool pool : pools) {
            for (RegisteredBuffer b; (b = pool.allocate()) != null; ) {
                taken.add(b);
            }
        }
        c.receive(write(0, 4, at(REMOTE, 2048)));
        Response r = c.response();
        assertThat(r.status()).isEqualTo(ScsiStatus.BUSY);
        assertThat(device.writes).isZero();
        taken.forEach(RegisteredBuffer::release);
    }

    // ------------------------------------------------------------------ task management

    @Test
    void abortTaskGetsNoResponseForTheTaskAndItsCreditRidesOnTheTmfResponse() {
        Channel c = live();
        device.hold = true;
        long held = nextTag;
        c.receive(write(0, 1, at(REMOTE, BLOCK)));
        WorkRequest fetch = c.next();
        c.link.complete(fetch, 0);
        loop.runPendingTasks();
        assertThat(device.heldCount()).isEqualTo(1);
        long tmf = nextTag;
        c.receive(taskManagement(0x01, held)); // ABORT TASK
        device.hold = false;
        device.release();
        Response r = c.response();
        assertThat(r.tag()).as("only the TMF is answered").isEqualTo(tmf);
        assertThat(r.responseCode()).isEqualTo(SrpIu.TMF_COMPLETE);
        assertThat(r.delta()).as("the aborted command's credit and the TMF's").isEqualTo(2);
        c.expectNothing();
    }

    @Test
    void anUnknownTaskManagementFunctionIsNotSupported() {
        Channel c = live();
        long tmf = nextTag;
        c.receive(taskManagement(0x80, 7));
        Response r = c.response();
        assertThat(r.tag()).isEqualTo(tmf);
        assertThat(r.responseCode()).isEqualTo(SrpIu.TMF_NOT_SUPPORTED);
        assertThat(r.delta()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ send slots

    @Test
    void responsesWaitForSendSlotsAndGoOutInOrderNoneLost() {
        store(0, pattern(BLOCK, 7));
        Channel c = live(2, 0);
        List<Long> expected = new ArrayList<>();
        expected.add(nextTag);
        c.receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        expected.add(nextTag);
        c.receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        expected.add(nextTag);
        c.receive(read(0, 1, at(REMOTE, BLOCK))); // needs two slots: an RDMA Write and the SEND
        for (int i = 0; i < 3; i++) {
            expected.add(nextTag);
            c.receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        }
        List<WorkRequest> sent = new ArrayList<>(c.link.takeAll());
        assertThat(sent).as("two slots").hasSize(2);
        List<Long> tags = new ArrayList<>();
        int credits = 0;
        while (!c.link.outstanding().isEmpty()) {
            WorkRequest oldest = c.link.outstanding().getFirst();
            c.link.complete(oldest, 0);
            loop.runPendingTasks();
            sent.addAll(c.link.takeAll());
        }
        for (WorkRequest w : sent) {
            if (w.op() == Op.SEND) {
                Response r = new Response(w.bytes());
                tags.add(r.tag());
                credits += r.delta();
                assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
            }
        }
        assertThat(tags).as("every response, in the order the commands came").isEqualTo(expected);
        assertThat(credits).as("every credit returned").isEqualTo(expected.size());
    }

    @Test
    void aResponseWaitingForASendBufferAnotherChannelFreesGoesOut() {
        Channel c = live();
        // The send pool is the device's: other channels' posted responses hold every buffer.
        List<RegisteredBuffer> elsewhere = new ArrayList<>();
        for (RegisteredBuffer b; (b = sendPool.allocate()) != null; ) {
            elsewhere.add(b);
        }
        long tag = nextTag;
        c.receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        c.expectNothing();
        elsewhere.forEach(RegisteredBuffer::release); // their completions wake nothing on this channel
        loop.advanceTimeBy(SrpChannel.SEND_BUFFER_RETRY_MILLIS, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        Response r = c.response();
        assertThat(r.tag()).isEqualTo(tag);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
    }

    // ------------------------------------------------------------------ ways out

    @Test
    void initiatorLogoutDisconnects() {
        Channel c = live();
        c.receive(iu(SrpIu.I_LOGOUT, 16));
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        assertThat(c.link.disconnectReason()).contains("SRP_I_LOGOUT");
        c.expectNothing();
    }

    @Test
    void anUnknownIuIsAnsweredWithTargetLogoutThenTheDisconnectAfterItsSend() {
        Channel c = live();
        c.receive(iu(0x7f, 32));
        WorkRequest logout = c.next();
        assertTargetLogout(logout, SrpIu.T_LOGOUT_INVALID_IU_TYPE);
        assertThat(c.link.state()).as("not before the SEND completed").isEqualTo(RdmaConnection.State.LIVE);
        c.link.complete(logout, 0);
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        assertThat(c.channel.loggedOut()).isTrue();
    }

    @Test
    void anIuShorterThanItsHeaderIsAnsweredWithTargetLogout() {
        Channel c = live();
        c.receive(iu(SrpIu.CMD, 12));
        WorkRequest logout = c.next();
        assertTargetLogout(logout, SrpIu.T_LOGOUT_INVALID_IU_LENGTH);
        c.link.complete(logout, 0);
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
    }

    @Test
    void logoutTwiceSendsOneTargetLogout() {
        Channel c = live();
        c.channel.logout(SrpIu.T_LOGOUT_NO_REASON, "first");
        c.channel.logout(SrpIu.T_LOGOUT_NO_REASON, "second");
        WorkRequest logout = c.next();
        assertTargetLogout(logout, SrpIu.T_LOGOUT_NO_REASON);
        c.expectNothing();
        c.link.complete(logout, 0);
        assertThat(c.link.disconnectReason()).startsWith("first");
    }

    @Test
    void aTargetLogoutNeverCompletedDisconnectsAfterItsGrace() {
        Channel c = live();
        c.channel.logout(SrpIu.T_LOGOUT_NO_REASON, "target removed");
        assertTargetLogout(c.next(), SrpIu.T_LOGOUT_NO_REASON);
        loop.advanceTimeBy(SrpChannel.LOGOUT_GRACE_MILLIS - 1, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.LIVE);
        loop.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        c.link.drain(); // the flushed SEND returns the logout's buffer
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.RELEASED);
    }

    @Test
    void logoutOfAChannelNotLiveDisconnectsWithoutSending() {
        Channel c = open(64, 0);
        c.link.connecting();
        c.channel.logout(SrpIu.T_LOGOUT_NO_REASON, "shutdown");
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        c.expectNothing();
    }

    @Test
    void aFailedTargetLogoutSendStillDisconnects() {
        Channel c = live();
        c.channel.logout(SrpIu.T_LOGOUT_NO_REASON, "dropped");
        WorkRequest logout = c.next();
        c.link.complete(logout, 12); // IBV_WC_RETRY_EXC_ERR: the initiator is gone
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
    }

    @Test
    void aTargetLogoutThatCannotBePostedStillDisconnectsAndKeepsNoBuffer() {
        Channel c = live();
        c.link.failPosts(1);
        c.channel.logout(SrpIu.T_LOGOUT_NO_REASON, "dropped");
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        c.link.drain();
        assertThat(sendPool.available()).isEqualTo(sendPool.chunkCount());
    }

    @Test
    void aFailedRdmaReadOfDataOutReleasesTheTaskAndDisconnects() {
        Channel c = live();
        c.receive(write(0, 4, at(REMOTE, 2048)));
        WorkRequest fetch = c.next();
        c.link.complete(fetch, FakeRdmaLink.REM_ACCESS_ERR);
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        assertThat(c.channel.outstanding()).isZero();
        c.expectNothing();
        assertThat(device.writes).isZero();
    }

    @Test
    void aFailedResponseSendReleasesTheTaskAndDisconnects() {
        Channel c = live();
        c.receive(read(0, 2, at(REMOTE, 1024)));
        assertThat(c.next().op()).isEqualTo(Op.RDMA_WRITE);
        WorkRequest send = c.next();
        c.link.complete(send, 12);
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        assertThat(c.channel.outstanding()).isZero();
    }

    @Test
    void aResponseThatCannotBePostedIsReleasedWithTheChannel() {
        Channel c = live();
        c.link.failPosts(1);
        c.receive(read(0, 2, at(REMOTE, 1024)));
        assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        c.link.drain();
        assertThat(c.channel.outstanding()).isZero();
    }

    @Test
    void workPostedWhenADrainTimesOutIsReleasedWithTheChannel() {
        Channel c = live();
        c.receive(write(0, 4, at(REMOTE, 2048)));
        c.receive(read(0, 2, at(REMOTE, 1024)));
        assertThat(c.link.takeAll()).hasSize(3);
        c.link.disconnect("peer disconnected");
        c.link.releaseWithoutFlush();
        assertThat(c.channel.outstanding()).isZero();
    }

    @Test
    void dataOutFetchedAfterTheChannelBeganClosingNeverReachesTheLu() {
        Channel c = live();
        open(64, 0); // another channel keeps the nexus, so the core would still take the command
        c.receive(write(0, 4, at(REMOTE, 2048)));
        WorkRequest fetch = c.next();
        c.link.playRead(fetch, pattern(2048, 8));
        c.link.disconnect("peer disconnected");
        c.link.complete(fetch, 0); // completed before the queue pair went to the error state
        loop.runPendingTasks();
        assertThat(device.writes).as("the initiator may already retry it elsewhere").isZero();
        assertThat(c.channel.outstanding()).isZero();
    }

    @Test
    void commandsInTheCoreWhenTheChannelGoesReleaseEverythingAndSendNothing() {
        Channel c = live(64, IMMEDIATE_OFFSET);
        open(64, 0); // another channel keeps the nexus: the core does not abort the tasks
        device.hold = true;
        c.receive(read(0, 2, at(REMOTE, 1024)));
        c.receive(immediateWrite(8, pattern(1024, 9), IMMEDIATE_OFFSET, 1024));
        c.receive(write(16, 4, at(REMOTE, 2048)));
        WorkRequest fetch = c.next();
        c.link.playRead(fetch, pattern(2048, 10));
        c.link.complete(fetch, 0);
        loop.runPendingTasks();
        assertThat(device.heldCount()).isEqualTo(3);
        c.link.disconnect("peer disconnected");
        c.link.drain();
        assertThat(c.channel.outstanding()).as("still with the core").isEqualTo(3);
        device.hold = false;
        device.release();
        c.expectNothing();
        assertThat(c.channel.outstanding()).isZero();
    }

    @Test
    void theNexusEndsOnceWhenItsLastChannelLeaves() {
        Channel first = live();
        Channel second = open(64, 0);
        assertThat(nexus.channels()).hasSize(2);
        device.hold = true;
        second.receive(write(0, 1, at(REMOTE, BLOCK)));
        WorkRequest fetch = second.next();
        second.link.playRead(fetch, pattern(BLOCK, 11));
        second.link.complete(fetch, 0);
        loop.runPendingTasks();
        first.link.disconnect("peer disconnected");
        first.link.drain();
        assertThat(nexus.channels()).containsExactly(second.channel);
        device.hold = false;
        device.release();
        assertThat(second.response().status()).as("the nexus lives on: its task was not aborted")
                .isEqualTo(ScsiStatus.GOOD);

        device.hold = true;
        second.receive(read(0, 1, at(REMOTE, BLOCK)));
        second.channel.received(MemorySegment.ofArray(iu(SrpIu.I_LOGOUT, 16)));
        second.link.drain();
        device.hold = false;
        device.release();
        second.expectNothing();
        assertThat(nexus.end()).as("the last channel ended the nexus already").isFalse();

        // The core heard of the loss: the initiator's next nexus starts with I_T NEXUS LOSS OCCURRED.
        nexus = new SrpNexus(nexus.itNexus(), target);
        target.core().nexusEstablished(nexus.itNexus());
        Channel again = open(64, 0);
        again.receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        byte[] sense = again.response().sense();
        assertThat(sense[12] & 0xff).isEqualTo(0x29);
        assertThat(sense[13] & 0xff).as("I_T NEXUS LOSS OCCURRED").isEqualTo(0x07);
    }

    // ------------------------------------------------------------------ login (SrpTargetPort)

    @Test
    void loginsAreRefusedWithTheReasonSrp2Gives() throws Exception {
        byte[] ours = HexFormat.of().parseHex("b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"); // what loginRequest names
        SrpIu.LoginRequest login = SrpIu.LoginRequest.parse(SrpIuTest.loginRequest(SrpIu.MULTICHANNEL_SINGLE, 8260));
        java.net.InetAddress from = java.net.InetAddress.getByName("192.0.2.7");
        assertThat(port.refusal(login, target, ours, from)).isZero();
        assertThat(port.refusal(login, target, null, from)).as("the node GUID unknown: any identifier").isZero();
        assertThat(port.refusal(login, target, new byte[16], from)).as("another target port")
                .isEqualTo(SrpIu.REJ_UNABLE_ASSOCIATE_CHANNEL);
        assertThat(port.refusal(login, null, ours, from)).as("nothing exported")
                .isEqualTo(SrpIu.REJ_UNABLE_ESTABLISH_CHANNEL);
        assertThat(port.refusal(SrpIu.LoginRequest.parse(SrpIuTest.loginRequest(0, 40)), target, ours, from))
                .as("IUs too small for an SRP_CMD").isEqualTo(SrpIu.REJ_UNABLE_ESTABLISH_CHANNEL);
        byte[] noFormats = SrpIuTest.loginRequest(0, 8260);
        noFormats[9] = 0;
        assertThat(port.refusal(SrpIu.LoginRequest.parse(noFormats), target, ours, from))
                .isEqualTo(SrpIu.REJ_UNSUPPORTED_DESCRIPTOR_FORMAT);

        String initiator = "0x" + HexFormat.of().formatHex(login.initiatorPortId());
        ServedTarget guarded = registry.addTarget(new TargetConfig("iqn.2026-12.io.jtarget:guarded",
                List.of(new LunConfig(0, new BackingSpec.Ram(1024 * 1024), false, false)),
                io.jtarget.config.AuthConfig.NONE,
                new io.jtarget.config.AccessConfig(List.of("0x000102030405060708090a0b0c0d0e0f"), List.of())));
        assertThat(port.refusal(login, guarded, ours, from)).as("not in the access rules")
                .isEqualTo(SrpIu.REJ_UNABLE_ESTABLISH_CHANNEL);
        ServedTarget allowing = registry.addTarget(new TargetConfig("iqn.2026-12.io.jtarget:allowing",
                List.of(new LunConfig(0, new BackingSpec.Ram(1024 * 1024), false, false)),
                io.jtarget.config.AuthConfig.NONE, new io.jtarget.config.AccessConfig(List.of(initiator), List.of())));
        assertThat(port.refusal(login, allowing, ours, from)).isZero();

        port.close();
        assertThat(port.refusal(login, target, ours, from)).as("the port is closing")
                .isEqualTo(SrpIu.REJ_UNABLE_ESTABLISH_CHANNEL);
    }

    @Test
    void multiJoinsTheNexusAndSingleEndsItWithTargetLogoutsOnItsChannels() {
        SrpIu.LoginRequest single = SrpIu.LoginRequest.parse(SrpIuTest.loginRequest(SrpIu.MULTICHANNEL_SINGLE, 8260));
        SrpIu.LoginRequest multi = SrpIu.LoginRequest.parse(SrpIuTest.loginRequest(SrpIu.MULTICHANNEL_MULTI, 8260));
        List<Channel> made = new ArrayList<>();
        java.util.function.Function<SrpNexus, SrpChannel> newChannel = n -> {
            SrpChannel ch = new SrpChannel(port, n, data, sendPool, loop.eventLoop(), 4, 0);
            made.add(attach(ch, 64));
            return ch;
        };
        SrpTargetPort.Joined first = port.join(single, target, newChannel);
        assertThat(first.rspFlags()).isEqualTo(SrpIu.RSP_NO_CHANNELS);
        SrpNexus old = first.channel().nexus();
        assertThat(old.itNexus().transportId()).isEqualTo(new TransportId.Srp(single.initiatorPortId()));
        SrpTargetPort.Joined second = port.join(multi, target, newChannel);
        assertThat(second.rspFlags()).isEqualTo(SrpIu.RSP_MAINTAINED);
        assertThat(second.channel().nexus()).isSameAs(old);
        assertThat(old.channels()).containsExactly(first.channel(), second.channel());

        SrpTargetPort.Joined third = port.join(single, target, newChannel);
        assertThat(third.rspFlags()).isEqualTo(SrpIu.RSP_TERMINATED);
        assertThat(third.channel().nexus()).isNotSameAs(old);
        assertThat(old.end()).as("the old nexus ended").isFalse();
        for (Channel c : made.subList(0, 2)) {
            WorkRequest logout = c.next();
            assertTargetLogout(logout, SrpIu.T_LOGOUT_MULTICHANNEL_ACTION);
            c.link.complete(logout, 0);
            assertThat(c.link.state()).isEqualTo(RdmaConnection.State.DRAINING);
        }
        made.get(2).expectNothing();
        assertThat(made.get(2).link.state()).isEqualTo(RdmaConnection.State.LIVE);
        // The old channels leaving does not end the new nexus.
        made.get(0).link.drain();
        made.get(1).link.drain();
        assertThat(third.channel().nexus().channels()).containsExactly(third.channel());
        // The new nexus starts with I_T NEXUS LOSS OCCURRED (SAM-5 §6.3.4): the core heard of the old one's loss.
        made.get(2).receive(command(Cdbs.testUnitReady(), 0, 0, new SrpIu.Descriptor[0]));
        byte[] sense = made.get(2).response().sense();
        assertThat(sense[12] & 0xff).isEqualTo(0x29);
        assertThat(sense[13] & 0xff).isEqualTo(0x07);
    }

    private static void assertTargetLogout(WorkRequest w, int reason) {
        assertThat(w.op()).isEqualTo(Op.SEND);
        assertThat(w.flags() & SendChain.SIGNALED).isNotZero();
        assertThat(w.bytes()).hasSize(SrpIu.T_LOGOUT_LENGTH);
        assertThat(w.bytes()[0] & 0xff).isEqualTo(SrpIu.T_LOGOUT);
        assertThat(MemorySegment.ofArray(w.bytes()).get(SrpIu.INT, 4)).as("reason").isEqualTo(reason);
    }
}
