package io.jtarget.bench;

import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.HeaderBuilder;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.pdu.PduDecoder;
import io.jtarget.iscsi.pdu.PduEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The PDU codec alone: decoding a read's worth of SCSI Command PDUs (what one socket read brings
 * at queue depth 32) and encoding a Data-In PDU with status as gathered buffers (header + data
 * slice, no copy). Time per PDU.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled"})
public class PduCodecBenchmark {
    static final int BATCH = 32;

    @Param({"false", "true"})
    boolean digests;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private EmbeddedChannel decoderChannel;
    private EmbeddedChannel encoderChannel;
    private ByteBuf commands;
    private ByteBuf data;

    @Setup(Level.Trial)
    public void setUp() {
        PduDecoder decoder = new PduDecoder(262144);
        decoder.setDigests(digests, digests);
        decoderChannel = new EmbeddedChannel(decoder);
        PduEncoder.DigestSettings settings = new PduEncoder.DigestSettings();
        settings.set(digests, digests);
        encoderChannel = new EmbeddedChannel(new PduEncoder(settings));

        // BATCH SCSI Command PDUs: READ(10) of 8 blocks, as one socket read delivers them.
        EmbeddedChannel encode = new EmbeddedChannel(new PduEncoder(settings));
        commands = alloc.directBuffer();
        for (int i = 0; i < BATCH; i++) {
            ByteBuf bhs = HeaderBuilder.of(alloc, Opcode.SCSI_COMMAND, Bhs.FINAL_BIT | Bhs.ScsiCommand.READ_BIT | 1)
                    .itt(i)
                    .int32(Bhs.ScsiCommand.EDTL_OFFSET, 4096)
                    .int32(Bhs.ScsiCommand.CMDSN_OFFSET, i)
                    .u8(Bhs.ScsiCommand.CDB_OFFSET, 0x28)
                    .int32(Bhs.ScsiCommand.CDB_OFFSET + 2, i * 8)
                    .u16(Bhs.ScsiCommand.CDB_OFFSET + 7, 8)
                    .build();
            encode.writeOutbound(IscsiPdu.of(bhs, null));
            for (Object part; (part = encode.readOutbound()) != null; ) {
                ByteBuf b = (ByteBuf) part;
                commands.writeBytes(b);
                b.release();
            }
        }
        encode.finishAndReleaseAll();
        data = alloc.directBuffer(4096).writeZero(4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        decoderChannel.finishAndReleaseAll();
        encoderChannel.finishAndReleaseAll();
        commands.release();
        data.release();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void decodeScsiCommands(Blackhole bh) {
        decoderChannel.writeInbound(commands.retainedDuplicate());
        for (Object pdu; (pdu = decoderChannel.readInbound()) != null; ) {
            bh.consume(((IscsiPdu) pdu).itt());
            ReferenceCountUtil.release(pdu);
        }
    }

    @Benchmark
    public void encodeDataInWithStatus(Blackhole bh) {
        IscsiPdu pdu = HeaderBuilder.of(alloc, Opcode.SCSI_DATA_IN, Bhs.FINAL_BIT | Bhs.Data.STATUS_BIT)
                .itt(7)
                .int32(Bhs.Data.TTT_OFFSET, Bhs.RESERVED_TAG)
                .int32(Bhs.Data.STATSN_OFFSET, 1)
                .int32(Bhs.Data.EXP_CMDSN_OFFSET, 2)
                .int32(Bhs.Data.MAX_CMDSN_OFFSET, 33)
                .pdu(data.retainedSlice());
        encoderChannel.writeOutbound(pdu);
        for (Object part; (part = encoderChannel.readOutbound()) != null; ) {
            bh.consume(part);
            ReferenceCountUtil.release(part);
        }
    }
}
