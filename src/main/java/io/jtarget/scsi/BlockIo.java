package io.jtarget.scsi;

import io.jtarget.backstore.IoCallback;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
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
