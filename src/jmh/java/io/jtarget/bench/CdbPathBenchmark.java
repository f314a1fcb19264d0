package io.jtarget.bench;

import io.jtarget.backstore.RamBlockDevice;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.ScsiResponse;
import io.jtarget.scsi.ScsiTargetCore;
import io.jtarget.scsi.TaskAttribute;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The SCSI core's CDB path for a 4 KiB READ(10): LUN lookup, unit attention check, opcode table,
 * CDB checks, task set, block device (RAM, completing inline, so the store's own cost is a copy
 * of 4 KiB) and the completion. What the core adds per command, without the network.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled"})
public class CdbPathBenchmark {
    private static final int BLOCKS = 8;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final ItNexus nexus = new ItNexus("iqn.2026-11.bench:init,i,0x1", "iqn.2026-11.bench:target,t,0x1", 1);
    private ScsiTargetCore core;
    private RamBlockDevice device;
    private long tag;
    private long lba;
    private Blackhole sink;
    private final io.jtarget.scsi.ScsiCompletion release = this::consume;

    @Setup(Level.Trial)
    public void setUp() {
        device = new RamBlockDevice(64L << 20, 512);
        core = new ScsiTargetCore("iqn.2026-11.bench:target", List.of(new LogicalUnit(0, device, false, "bench")));
        core.nexusEstablished(nexus);
        // The first command reports the power-on unit attention; take it out of the way.
        core.submit(command(new byte[6]), r -> { });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        core.close();
    }

    private ScsiCommand command(byte[] cdb) {
        return new ScsiCommand(nexus, 0, cdb, tag++, TaskAttribute.SIMPLE,
                cdb[0] == 0x28 ? ScsiCommand.DataDirection.READ : ScsiCommand.DataDirection.NONE,
                cdb[0] == 0x28 ? BLOCKS * 512 : 0, null, alloc);
    }

    private void consume(ScsiResponse response) {
        sink.consume(response.status());
        if (response.dataIn() != null) {
            response.dataIn().release();
        }
    }

    @Benchmark
    public void read10(Blackhole bh) {
        sink = bh;
        long l = lba;
        lba = (l + BLOCKS) & ((64L << 20) / 512 - 1);
        byte[] cdb = new byte[16];
        cdb[0] = 0x28;
        cdb[2] = (byte) (l >>> 24);
        cdb[3] = (byte) (l >>> 16);
        cdb[4] = (byte) (l >>> 8);
        cdb[5] = (byte) l;
        cdb[8] = BLOCKS;
        core.submit(command(cdb), release);
    }
}
