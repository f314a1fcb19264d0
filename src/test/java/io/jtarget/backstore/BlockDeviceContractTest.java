package io.jtarget.backstore;

import static io.jtarget.backstore.SyncIo.NEXUS;
import static io.jtarget.backstore.SyncIo.pattern;
import static io.jtarget.backstore.SyncIo.read;
import static io.jtarget.backstore.SyncIo.readError;
import static io.jtarget.backstore.SyncIo.write;
import static io.jtarget.backstore.SyncIo.writeOrFail;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Behaviour every {@link BlockDevice} shares; each store's test extends this. */
abstract class BlockDeviceContractTest {

    static final int BLOCK = 512;
    /** Blocks per RAM chunk: transfers around this LBA cross a chunk boundary. */
    static final int CHUNK_BLOCKS = RamBlockDevice.CHUNK_SIZE / BLOCK;
    static final long DEVICE_SIZE = 8L * RamBlockDevice.CHUNK_SIZE;

    private final List<BlockDevice> opened = new ArrayList<>();

    /** A fresh, empty device of {@code sizeBytes}. */
    abstract BlockDevice create(long sizeBytes) throws Exception;

    BlockDevice device() throws Exception {
        BlockDevice device = create(DEVICE_SIZE);
        opened.add(device);
        return device;
    }

    @AfterEach
    void closeDevices() {
        opened.forEach(BlockDevice::close);
    }

    @Test
    void shouldReadBackWhatWasWrittenWhenOffsetsAndLengthsVary() throws Exception {
        BlockDevice device = device();
        long last = device.blockCount() - 1;
        long[][] cases = {{0, 1}, {1, 7}, {CHUNK_BLOCKS - 1, 2}, {CHUNK_BLOCKS * 2L - 3, CHUNK_BLOCKS + 6}, {last, 1}, {last - 15, 16}};
        for (long[] c : cases) {
            byte[] data = pattern((int) c[1] * BLOCK, c[0]);
            writeOrFail(device, c[0], data, false);
            assertThat(read(device, c[0], (int) c[1])).as("lba %d, %d blocks", c[0], c[1]).isEqualTo(data);
        }
    }

    @Test
    void shouldReadZerosWhenBlocksWereNeverWritten() throws Exception {
        BlockDevice device = device();
        writeOrFail(device, 10, pattern(BLOCK, 1), false);

        assertThat(read(device, 0, 10)).containsOnly(0);
        assertThat(read(device, 11, 5)).containsOnly(0);
        assertThat(read(device, 3 * CHUNK_BLOCKS, 4)).containsOnly(0);
    }

    @Test
    void shouldReportGeometryOfRequestedSize() throws Exception {
        BlockDevice device = device();
        assertThat(device.blockSize()).isEqualTo(BLOCK);
        assertThat(device.blockCount()).isEqualTo(DEVICE_SIZE / BLOCK);
    }

    @Test
    void shouldAppendAtWriterIndexAndLeaveSourceIndicesAlone() throws Exception {
        BlockDevice device = device();
        byte[] data = pattern(2 * BLOCK, 7);
        ByteBuf src = Unpooled.directBuffer().writeBytes(new byte[] {9, 9}).writeBytes(data);
        src.readerIndex(2);
        ByteBuf dst = Unpooled.buffer().writeBytes(new byte[] {1, 2, 3});
        try {
            assertThat(SyncIo.await(done -> device.write(NEXUS, 4, 2, src, true, done::complete))).isNull();
            assertThat(src.readerIndex()).isEqualTo(2);
            assertThat(src.writerIndex()).isEqualTo(2 + data.length);

            assertThat(SyncIo.await(done -> device.read(NEXUS, 4, 2, dst, done::complete))).isNull();
            assertThat(dst.readableBytes()).isEqualTo(3 + data.length);
            byte[] readBack = new byte[data.length];
            dst.getBytes(3, readBack);
            assertThat(readBack).isEqualTo(data);
            assertThat(dst.getByte(2)).isEqualTo((byte) 3);
        } finally {
            src.release();
            dst.release();
        }
    }

    @Test
    void shouldScatterAndGatherWhenBuffersAreComposite() throws Exception {
        BlockDevice device = device();
        byte[] data = pattern(3 * BLOCK, 11);
        CompositeByteBuf src = Unpooled.compositeBuffer();
        src.addComponent(true, Unpooled.directBuffer().writeBytes(data, 0, 700));
        src.addComponent(true, Unpooled.buffer().writeBytes(data, 700, data.length - 700));
        CompositeByteBuf dst = Unpooled.compositeBuffer();
        dst.addComponent(false, Unpooled.directBuffer(1000, 1000));
        dst.addComponent(false, Unpooled.buffer(536, 536));
        try {
            assertThat(SyncIo.await(done -> device.write(NEXUS, CHUNK_BLOCKS - 1, 3, src, false, done::complete))).isNull();
            assertThat(SyncIo.await(done -> device.read(NEXUS, CHUNK_BLOCKS - 1, 3, dst, done::complete))).isNull();
            byte[] readBack = new byte[dst.readableBytes()];
            dst.getBytes(0, readBack);
            assertThat(readBack).isEqualTo(data);
        } finally {
            src.release();
            dst.release();
        }
    }

    @Test
    void shouldKeepEveryWriteWhenManyThreadsWriteConcurrently() throws Exception {
        BlockDevice device = device();
        int threads = 8;
        int writesPerThread = 64;
        ExecutorService writers = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(writers.submit(() -> {
                    for (int i = 0; i < writesPerThread; i++) {
                        // Interleaved 4-block extents: neighbours belong to other threads, several share a chunk.
                        long lba = (long) (i * threads + thread) * 4;
                        writeOrFail(device, lba, pattern(4 * BLOCK, lba), false);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            writers.shutdown();
        }
        for (long extent = 0; extent < (long) threads * writesPerThread; extent++) {
            long lba = extent * 4;
            assertThat(read(device, lba, 4)).as("extent at %d", lba).isEqualTo(pattern(4 * BLOCK, lba));
        }
    }

    @Test
    void shouldFailWhenRangeIsOutsideDevice() throws Exception {
        BlockDevice device = device();
        long count = device.blockCount();

        assertThat(readError(device, count, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(readError(device, count - 1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(readError(device, -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(readError(device, Long.MAX_VALUE, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(write(device, count, pattern(BLOCK, 1), false)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void shouldFailWhenSourceHoldsFewerBytesThanTheBlocks() throws Exception {
        BlockDevice device = device();
        ByteBuf src = Unpooled.buffer().writeBytes(pattern(BLOCK, 3));
        try {
            Throwable error = SyncIo.await(done -> device.write(NEXUS, 0, 2, src, false, done::complete));
            assertThat(error).isInstanceOf(IllegalArgumentException.class);
        } finally {
            src.release();
        }
    }

    @Test
    void shouldCompleteAtOnceWhenTransferIsEmpty() throws Exception {
        BlockDevice device = device();
        assertThat(readError(device, 0, 0)).isNull();
        assertThat(write(device, device.blockCount(), new byte[0], false)).isNull();
    }

    @Test
    void shouldKeepDataWhenWrittenWithFuaAndFlushed() throws Exception {
        BlockDevice device = device();
        byte[] data = pattern(8 * BLOCK, 5);
        writeOrFail(device, 100, data, true);
        assertThat(SyncIo.flush(device)).isNull();
        assertThat(read(device, 100, 8)).isEqualTo(data);
    }

    @Test
    void shouldFailEveryRequestWhenClosed() throws Exception {
        BlockDevice device = device();
        writeOrFail(device, 0, pattern(BLOCK, 1), false);
        device.close();
        device.close();

        assertThat(readError(device, 0, 1)).isInstanceOf(DeviceClosedException.class);
        assertThat(write(device, 0, pattern(BLOCK, 2), true)).isInstanceOf(DeviceClosedException.class);
        assertThat(SyncIo.flush(device)).isInstanceOf(DeviceClosedException.class);
    }

    @Test
    void shouldDeliverErrorToCallbackWhenDestinationIsReadOnly() throws Exception {
        BlockDevice device = device();
        ByteBuf backing = Unpooled.buffer(BLOCK);
        ByteBuf dst = backing.asReadOnly();
        try {
            Throwable error = SyncIo.await(done -> device.read(NEXUS, 0, 1, dst, done::complete));
            assertThat(error).isNotNull();
            assertThat(dst.writerIndex()).isZero();
        } finally {
            backing.release();
        }
    }
}
