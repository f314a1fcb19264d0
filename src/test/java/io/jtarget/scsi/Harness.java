package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.RamBlockDevice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives a {@link ScsiTargetCore} with one fake LU (or any logical units) and collects (and finally releases)
 * responses; closing it closes the core, which unregisters its LUs as copy targets and closes their devices.
 */
final class Harness implements AutoCloseable {
    static final ItNexus NEXUS = new ItNexus("iqn.2024-01.test:init,i,0x000000000001", "iqn.2024-01.test:tgt,t,0x0001", 1);
    static final ItNexus OTHER = new ItNexus("iqn.2024-01.test:other,i,0x000000000002", "iqn.2024-01.test:tgt,t,0x0001", 1);
    static final String TARGET = "iqn.2024-01.test:tgt";

    /** LUN 0's device when it is a {@link FakeBlockDevice}, else null. */
    final FakeBlockDevice device;
    /** LUN 0 (the lowest LUN). */
    final LogicalUnit lu;
    final ScsiTargetCore core;
    final ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
    private final List<ScsiResponse> responses = new ArrayList<>();
    private final List<ByteBuf> dataOuts = new ArrayList<>();
    private long nextTag = 1;

    Harness() {
        this(new FakeBlockDevice(512, 2048, true), false, false);
    }

    Harness(FakeBlockDevice device, boolean readOnly, boolean removable) {
        this(List.of(new LogicalUnit(0, device, readOnly, "serial-0001", removable)));
    }

    /** A target with these logical units, whatever their devices. */
    Harness(List<LogicalUnit> lus) {
        this(lus, new CopyTargets());
    }

    /** A target whose LUs share EXTENDED COPY's reachable LUs with other harnesses built on {@code copyTargets}. */
    Harness(List<LogicalUnit> lus, CopyTargets copyTargets) {
        this.core = new ScsiTargetCore(TARGET, lus, copyTargets);
        this.lu = core.logicalUnits().get(0);
        this.device = lu.device() instanceof FakeBlockDevice fake ? fake : null;
        core.nexusEstablished(NEXUS);
        core.nexusEstablished(OTHER);
        // Consume the power-on unit attentions so tests start clean.
        for (LogicalUnit u : core.logicalUnits()) {
            assertThat(run(NEXUS, u.lun(), Cdbs.testUnitReady(), null, 0).status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
            assertThat(run(OTHER, u.lun(), Cdbs.testUnitReady(), null, 0).status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        }
    }

    /** One thin provisioned (deallocating) RAM logical unit at LUN 0. */
    static Harness thin(long blocks, int blockSize, String serial) {
        return new Harness(List.of(new LogicalUnit(0, new RamBlockDevice(blocks * blockSize, blockSize), false, serial)));
    }

    ScsiResponse run(byte[] cdb) {
        return run(NEXUS, cdb);
    }

    ScsiResponse run(ItNexus nexus, byte[] cdb) {
        return run(nexus, 0, cdb, null, 0);
    }

    ScsiResponse runWithData(byte[] cdb, byte[] dataOut) {
        return run(NEXUS, 0, cdb, dataOut, dataOut.length);
    }

    ScsiResponse run(ItNexus nexus, int lun, byte[] cdb, byte[] dataOut, int expected) {
        List<ScsiResponse> got = new ArrayList<>();
        submit(nexus, lun, nextTag++, cdb, dataOut, expected, got::add);
        assertThat(got).as("completed inline exactly once").hasSize(1);
        return got.get(0);
    }

    void submit(ItNexus nexus, int lun, long tag, byte[] cdb, byte[] dataOut, int expected, ScsiCompletion done) {
        submit(nexus, lun, tag, TaskAttribute.SIMPLE, cdb, dataOut, expected, done);
    }

    void submit(ItNexus nexus, int lun, long tag, TaskAttribute attribute, byte[] cdb, byte[] dataOut, int expected,
            ScsiCompletion done) {
        ByteBuf out = null;
        if (dataOut != null) {
            out = allocator.buffer(dataOut.length).writeBytes(dataOut);
            dataOuts.add(out);
        }
        ScsiCommand command = new ScsiCommand(nexus, lun, cdb, tag, attribute,
                dataOut == null ? ScsiCommand.DataDirection.READ : ScsiCommand.DataDirection.WRITE,
                expected, out, allocator);
        core.submit(command, response -> {
            synchronized (responses) {
                responses.add(response);
            }
            done.complete(response);
        });
    }

    static byte[] data(ScsiResponse response) {
        if (response.dataIn() == null) {
            return new byte[0];
        }
        byte[] bytes = new byte[response.dataIn().readableBytes()];
        response.dataIn().getBytes(response.dataIn().readerIndex(), bytes);
        return bytes;
    }

    /** Sense key / ASC / ASCQ of a CHECK CONDITION, whatever its format. */
    static int[] sense(ScsiResponse response) {
        assertThat(response.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        return senseOf(response.sense());
    }

    static int[] senseOf(byte[] s) {
        int code = s[0] & 0x7f;
        if (code == 0x72) {
            return new int[] {s[1] & 0x0f, s[2] & 0xff, s[3] & 0xff};
        }
        assertThat(code).isEqualTo(0x70);
        return new int[] {s[2] & 0x0f, s[12] & 0xff, s[13] & 0xff};
    }

    static int[] expected(SenseReason reason) {
        return new int[] {reason.senseKey, reason.asc, reason.ascq};
    }

    @Override
    public void close() {
        synchronized (responses) {
            for (ScsiResponse r : responses) {
                if (r.dataIn() != null) {
                    r.dataIn().release();
                }
            }
        }
        dataOuts.forEach(ByteBuf::release);
        core.close();
    }
}
