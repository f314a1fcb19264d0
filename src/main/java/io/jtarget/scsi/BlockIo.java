package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.IoCallback;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls into a block device so that a device that throws instead of calling back still completes the task once. */
final class BlockIo {
    private static final Logger LOG = LoggerFactory.getLogger(BlockIo.class);

    @FunctionalInterface
    interface DeviceCall {
        void start(IoCallback callback);
    }

    private BlockIo() {}

    /**
     * Run {@code call} with a callback that forwards to {@code done} at most once. If the device
     * throws before calling back, {@code done} gets the exception as the I/O error.
     */
    static void run(DeviceCall call, IoCallback done) {
        Once once = new Once(done);
        try {
            call.start(once);
        } catch (RuntimeException e) {
            if (once.claim()) {
                done.complete(e);
            } else {
                LOG.error("block device threw after completing an I/O", e);
            }
        }
    }

    /**
     * Writes the first {@code pieceBlocks} blocks of {@code piece} (from its reader index) over and over across
     * {@code [lba, lba + blocks)}, one device write after the other (the last one shorter where the range ends):
     * WRITE SAME and SANITIZE OVERWRITE. {@code progress}, when given, hears the LBA reached after each write;
     * {@code done} gets the first error, or null once every block is written. The buffer stays the caller's.
     */
    static void writeRepeatedly(BlockDevice device, ItNexus nexus, ByteBuf piece, int pieceBlocks, long lba, long blocks,
            boolean fua, LongConsumer progress, IoCallback done) {
        if (blocks <= 0) {
            done.complete(null);
            return;
        }
        new RepeatedWrite(device, nexus, piece, pieceBlocks, lba, blocks, fua, progress, done).next();
    }

    /** The state of {@link #writeRepeatedly}: one object for the whole range, whatever the number of pieces. */
    private static final class RepeatedWrite implements DeviceCall, IoCallback {
        private final BlockDevice device;
        private final ItNexus nexus;
        private final ByteBuf piece;
        private final int pieceBlocks;
        private final boolean fua;
        private final LongConsumer progress;
        private final IoCallback done;
        private long lba;
        private long remaining;
        private int blocks;

        RepeatedWrite(BlockDevice device, ItNexus nexus, ByteBuf piece, int pieceBlocks, long lba, long remaining,
                boolean fua, LongConsumer progress, IoCallback done) {
            this.device = device;
            this.nexus = nexus;
            this.piece = piece;
            this.pieceBlocks = pieceBlocks;
            this.lba = lba;
            this.remaining = remaining;
            this.fua = fua;
            this.progress = progress;
            this.done = done;
        }

        void next() {
            blocks = (int) Math.min(pieceBlocks, remaining);
            run(this, this);
        }

        @Override
        public void start(IoCallback callback) {
            device.write(nexus, lba, blocks, piece, fua, callback);
        }

        @Override
        public void complete(Throwable error) {
            lba += blocks;
            remaining -= blocks;
            if (progress != null) {
                progress.accept(lba);
            }
            if (error != null || remaining == 0) {
                done.complete(error);
            } else {
                next();
            }
        }
    }

    /** Forwards the first completion; one object per I/O (no separate flag). */
    private static final class Once implements IoCallback {
        private static final AtomicIntegerFieldUpdater<Once> CALLED =
                AtomicIntegerFieldUpdater.newUpdater(Once.class, "called");
        private final IoCallback done;
        private volatile int called;

        Once(IoCallback done) {
            this.done = done;
        }

        boolean claim() {
            return CALLED.compareAndSet(this, 0, 1);
        }

        @Override
        public void complete(Throwable error) {
            if (claim()) {
                done.complete(error);
            } else {
                LOG.error("block device completed an I/O twice", error);
            }
        }
    }
}
