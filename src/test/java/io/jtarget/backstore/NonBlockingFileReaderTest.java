package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NonBlockingFileReaderTest {

    @TempDir
    Path dir;

    private Path file;
    private byte[] content;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    @BeforeEach
    void writeFile() throws IOException {
        assumeTrue(NonBlockingFileReader.available(), "preadv2 not available on this platform");
        content = new byte[64 * 1024];
        new Random(7).nextBytes(content);
        file = dir.resolve("data.img");
        Files.write(file, content); // just written: every page is in the page cache
    }

    @Test
    void shouldReadCachedBytesAtTheWriterIndexWhenAllPagesAreCached() {
        try (NonBlockingFileReader reader = NonBlockingFileReader.open(file)) {
            assertThat(reader).isNotNull();
            ByteBuf dst = alloc.directBuffer(8192);
            try {
                dst.writeByte(0x5a);
                boolean done = reader.tryRead(dst, 4096, 8192);
                // A file system without non-blocking buffered reads answers false; both are correct.
                assumeTrue(done, "file system refuses RWF_NOWAIT reads");
                assertThat(dst.writerIndex()).isEqualTo(1 + 4096);
                assertThat(dst.getByte(0)).isEqualTo((byte) 0x5a);
                byte[] got = new byte[4096];
                dst.getBytes(1, got);
                assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(content, 8192, 8192 + 4096));
            } finally {
                dst.release();
            }
        }
    }

    @Test
    void shouldRefuseWithoutTouchingTheBufferWhenTheRangeEndsPastEndOfFile() {
        try (NonBlockingFileReader reader = NonBlockingFileReader.open(file)) {
            ByteBuf dst = alloc.directBuffer(8192);
            try {
                assertThat(reader.tryRead(dst, 8192, content.length - 4096)).isFalse();
                assertThat(dst.writerIndex()).isZero();
            } finally {
                dst.release();
            }
        }
    }

    @Test
    void shouldRefuseWhenTheBufferIsOnTheHeap() {
        try (NonBlockingFileReader reader = NonBlockingFileReader.open(file)) {
            ByteBuf dst = Unpooled.buffer(4096);
            assertThat(reader.tryRead(dst, 4096, 0)).isFalse();
            assertThat(dst.writerIndex()).isZero();
        }
    }

    @Test
    void shouldRefuseAfterCloseWhenClosedTwice() {
        NonBlockingFileReader reader = NonBlockingFileReader.open(file);
        reader.close();
        reader.close();
        ByteBuf dst = alloc.directBuffer(4096);
        try {
            assertThat(reader.tryRead(dst, 4096, 0)).isFalse();
        } finally {
            dst.release();
        }
    }

    @Test
    void shouldCompleteInlineOnTheCallersThreadWhenAFileDeviceReadHitsThePageCache() throws Exception {
        // A pool that fails the test if used: a cached read must not need it.
        java.util.concurrent.Executor refusing = r -> {
            throw new AssertionError("a page-cache hit went to the backend pool");
        };
        try (FileBlockDevice device = FileBlockDevice.open(file, 0, 512, false, new FairQueueExecutor(refusing, 1))) {
            ByteBuf dst = alloc.directBuffer(4096);
            try {
                // Probe: skip where the file system refuses non-blocking reads.
                try (NonBlockingFileReader probe = NonBlockingFileReader.open(file)) {
                    ByteBuf p = alloc.directBuffer(512);
                    try {
                        assumeTrue(probe.tryRead(p, 512, 0), "file system refuses RWF_NOWAIT reads");
                    } finally {
                        p.release();
                    }
                }
                Thread caller = Thread.currentThread();
                Thread[] completedOn = new Thread[1];
                Throwable[] error = {new IllegalStateException("not completed")};
                device.read(SyncIo.NEXUS, 16, 8, dst, e -> {
                    completedOn[0] = Thread.currentThread();
                    error[0] = e;
                });
                assertThat(error[0]).isNull();
                assertThat(completedOn[0]).isSameAs(caller);
                byte[] got = new byte[4096];
                dst.getBytes(0, got);
                assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(content, 16 * 512, 24 * 512));
            } finally {
                dst.release();
            }
        }
    }
}
