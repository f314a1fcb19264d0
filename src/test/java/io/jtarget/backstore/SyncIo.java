package io.jtarget.backstore;

import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Blocking wrappers over the asynchronous device API, for tests. Every buffer is released here. */
final class SyncIo {

    static final ItNexus NEXUS = nexus("iqn.2025-01.test:init-a");
    static final long TIMEOUT_SECONDS = 10;

    private SyncIo() {}

    static ItNexus nexus(String initiator) {
        return new ItNexus(initiator + ",i,0x23d000000001", "iqn.2025-01.io.jtarget:t,t,0x1", 1);
    }

    /** Writes {@code data} (a whole number of blocks) at {@code lba}; returns the error or null. */
    static Throwable write(BlockDevice device, long lba, byte[] data, boolean fua) {
        ByteBuf src = Unpooled.directBuffer(data.length).writeBytes(data);
        try {
            return await(done -> device.write(NEXUS, lba, data.length / device.blockSize(), src, fua, done::complete));
        } finally {
            src.release();
        }
    }

    static void writeOrFail(BlockDevice device, long lba, byte[] data, boolean fua) {
        Throwable error = write(device, lba, data, fua);
        if (error != null) {
            throw new AssertionError("write at " + lba + " failed", error);
        }
    }

    static byte[] read(BlockDevice device, long lba, int blocks) {
        ByteBuf dst = Unpooled.directBuffer(blocks * device.blockSize());
        try {
            Throwable error = await(done -> device.read(NEXUS, lba, blocks, dst, done::complete));
            if (error != null) {
                throw new AssertionError("read at " + lba + " failed", error);
            }
            byte[] out = new byte[dst.readableBytes()];
            dst.readBytes(out);
            return out;
        } finally {
            dst.release();
        }
    }

    static Throwable readError(BlockDevice device, long lba, int blocks) {
        ByteBuf dst = Unpooled.directBuffer(Math.max(0, blocks) * device.blockSize());
        try {
            return await(done -> device.read(NEXUS, lba, blocks, dst, done::complete));
        } finally {
            dst.release();
        }
    }

    static Throwable flush(BlockDevice device) {
        return await(done -> device.flush(NEXUS, done::complete));
    }

    static Throwable await(java.util.function.Consumer<CompletableFuture<Throwable>> operation) {
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        operation.accept(done);
        try {
            return done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("I/O did not complete", e);
        }
    }

    static byte[] pattern(int length, long seed) {
        byte[] data = new byte[length];
        new java.util.Random(seed).nextBytes(data);
        return data;
    }
}
