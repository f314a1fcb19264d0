package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.IoCallback;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/** In-memory block device for tests; in manual mode operations wait until the test completes them. */
final class FakeBlockDevice implements BlockDevice {
    private final int blockSize;
    private volatile long blockCount;
    private final byte[] data;
    private final boolean writeCache;
    private final Deque<Runnable> pending = new ArrayDeque<>();
    boolean manual;
    boolean failNext;
    /** What the next failing operation completes with (failNext); a plain IOException when null. */
    Throwable failure;
    /** Does COMPARE AND WRITE and WRITE SAME itself (as a cluster store does). */
    boolean storeAtomics;
    int storeCompareAndWrites;
    int storeWriteSames;
    int reads;
    private final java.util.List<CapacityListener> capacityListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    boolean lastWriteFua;
    int writes;
    int flushes;
    boolean closed;
    /** Thin provisioned: offers {@link Capability#DEALLOCATE}; deallocated blocks read as zeros. */
    boolean thin;
    /** What {@link #logicalBlocksPerPhysicalBlock()} reports. */
    int logicalPerPhysical = 1;
    int deallocations;

    FakeBlockDevice(int blockSize, long blockCount, boolean writeCache) {
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.data = new byte[(int) Math.min(blockCount * blockSize, 64L * 1024 * 1024)];
        this.writeCache = writeCache;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blockCount() {
        return blockCount;
    }

    @Override
    public Set<Capability> capabilities() {
        java.util.EnumSet<Capability> caps = java.util.EnumSet.noneOf(Capability.class);
        if (thin) {
            caps.add(Capability.DEALLOCATE);
        }
        if (storeAtomics) {
            caps.add(Capability.COMPARE_AND_WRITE);
            caps.add(Capability.WRITE_SAME);
        }
        return caps;
    }

    @Override
    public void addCapacityListener(CapacityListener listener) {
        capacityListeners.add(listener);
    }

    /** The store was resized behind the server's back. */
    void resize(long newBlockCount) {
        blockCount = newBlockCount;
        capacityListeners.forEach(l -> l.capacityChanged(newBlockCount));
    }

    @Override
    public void compareAndWrite(ItNexus nexus, long lba, int blocks, ByteBuf compare, ByteBuf write, boolean fua,
            IoCallback done) {
        if (!storeAtomics) {
            BlockDevice.super.compareAndWrite(nexus, lba, blocks, compare, write, fua, done);
            return;
        }
        run(() -> {
            if (takeFailure(done)) {
                return;
            }
            storeCompareAndWrites++;
            int bytes = blocks * blockSize;
            for (int i = 0; i < bytes; i++) {
                if (data[(int) (lba * blockSize) + i] != compare.getByte(compare.readerIndex() + i)) {
                    done.complete(new io.jtarget.backstore.MiscompareException(i));
                    return;
                }
            }
            write.getBytes(write.readerIndex(), data, (int) (lba * blockSize), bytes);
            done.complete(null);
        });
    }

    @Override
    public void writeSame(ItNexus nexus, long lba, long blocks, ByteBuf block, boolean fua, IoCallback done) {
        if (!storeAtomics) {
            BlockDevice.super.writeSame(nexus, lba, blocks, block, fua, done);
            return;
        }
        run(() -> {
            if (takeFailure(done)) {
                return;
            }
            storeWriteSames++;
            for (long b = lba; b < lba + blocks; b++) {
                block.getBytes(block.readerIndex(), data, (int) (b * blockSize), blockSize);
            }
            done.complete(null);
        });
    }

    @Override
    public int logicalBlocksPerPhysicalBlock() {
        return logicalPerPhysical;
    }

    @Override
    public void deallocate(ItNexus nexus, long lba, long blocks, IoCallback done) {
        if (!thin) {
            BlockDevice.super.deallocate(nexus, lba, blocks, done);
            return;
        }
        run(() -> {
            if (takeFailure(done)) {
                return;
            }
            java.util.Arrays.fill(data, (int) (lba * blockSize), (int) ((lba + blocks) * blockSize), (byte) 0);
            deallocations++;
            done.complete(null);
        });
    }

    @Override
    public boolean writeCacheEnabled() {
        return writeCache;
    }

    @Override
    public String describe() {
        return "fake:" + blockCount + "x" + blockSize;
    }

    @Override
    public void read(ItNexus nexus, long lba, int blocks, ByteBuf dst, IoCallback done) {
        run(() -> {
            if (takeFailure(done)) {
                return;
            }
            dst.writeBytes(data, (int) (lba * blockSize), blocks * blockSize);
            reads++;
            done.complete(null);
        });
    }

    @Override
    public void write(ItNexus nexus, long lba, int blocks, ByteBuf src, boolean fua, IoCallback done) {
        run(() -> {
            if (takeFailure(done)) {
                return;
            }
            src.getBytes(src.readerIndex(), data, (int) (lba * blockSize), blocks * blockSize);
            lastWriteFua = fua;
            writes++;
            done.complete(null);
        });
    }

    @Override
    public void flush(ItNexus nexus, IoCallback done) {
        run(() -> {
            flushes++;
            done.complete(null);
        });
    }

    @Override
    public void close() {
        closed = true;
    }

    byte[] bytes(long lba, int blocks) {
        byte[] out = new byte[blocks * blockSize];
        System.arraycopy(data, (int) (lba * blockSize), out, 0, out.length);
        return out;
    }

    void fill(long lba, int blocks, byte value) {
        java.util.Arrays.fill(data, (int) (lba * blockSize), (int) ((lba + blocks) * blockSize), value);
    }

    int pendingCount() {
        return pending.size();
    }

    /** Manual mode: finish the oldest outstanding operation. */
    void completeNext() {
        pending.removeFirst().run();
    }

    private boolean takeFailure(IoCallback done) {
        if (failNext) {
            failNext = false;
            done.complete(failure != null ? failure : new IOException("injected failure"));
            return true;
        }
        return false;
    }

    private void run(Runnable op) {
        if (manual) {
            pending.addLast(op);
        } else {
            op.run();
        }
    }
}
