package io.jtarget.scsi;

import io.jtarget.backstore.IoCallback;
import java.util.concurrent.atomic.AtomicBoolean;
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
        AtomicBoolean called = new AtomicBoolean();
        IoCallback once = error -> {
            if (called.compareAndSet(false, true)) {
                done.complete(error);
            } else {
                LOG.error("block device completed an I/O twice", error);
            }
        };
        try {
            call.start(once);
        } catch (RuntimeException e) {
            if (called.compareAndSet(false, true)) {
                done.complete(e);
            } else {
                LOG.error("block device threw after completing an I/O", e);
            }
        }
    }
}
