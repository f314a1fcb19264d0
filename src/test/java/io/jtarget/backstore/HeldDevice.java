package io.jtarget.backstore;

import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * A RAM block device whose operations can be held: with {@link #hold} set, reads and writes wait
 * until the test {@link #release releases} them, as commands queued behind a slow disk do.
 */
public final class HeldDevice implements BlockDevice {
    private final RamBlockDevice ram;
    private final Deque<Runnable> held = new ArrayDeque<>();
    public boolean hold;
    public int writes;

    public HeldDevice(long sizeBytes, int blockSize) {
        this.ram = new RamBlockDevice(sizeBytes, blockSize);
    }

    public int heldCount() {
        return held.size();
    }

    /** Runs every held operation (their completions follow). */
    public void release() {
        Runnable r;
        while ((r = held.poll()) != null) {
            r.run();
        }
    }

    @Override
    public int blockSize() {
        return ram.blockSize();
    }

    @Override
    public long blockCount() {
        return ram.blockCount();
    }

    @Override
    public Set<Capability> capabilities() {
        return ram.capabilities();
    }

    @Override
    public boolean writeCacheEnabled() {
        return ram.writeCacheEnabled();
    }

    @Override
    public String describe() {
        return "held " + ram.describe();
    }

    @Override
    public void read(ItNexus nexus, long lba, int blocks, ByteBuf dst, IoCallback done) {
        run(() -> ram.read(nexus, lba, blocks, dst, done));
    }

    @Override
    public void write(ItNexus nexus, long lba, int blocks, ByteBuf src, boolean fua, IoCallback done) {
        run(() -> {
            writes++;
            ram.write(nexus, lba, blocks, src, fua, done);
        });
    }

    @Override
    public void flush(ItNexus nexus, IoCallback done) {
        run(() -> ram.flush(nexus, done));
    }

    private void run(Runnable op) {
        if (hold) {
            held.add(op);
        } else {
            op.run();
        }
    }

    @Override
    public void close() {
        ram.close();
    }
}
