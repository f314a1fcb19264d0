package io.jtarget.rdma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool's free list and the ByteBuf views, on unregistered memory (no device needed). */
class RdmaBufferPoolTest {

    private static RdmaBufferPool pool(int chunks) throws RdmaException {
        return new RdmaBufferPool(null, "test", 4096, chunks, RdmaBufferPool.LOCAL_WRITE, false);
    }

    @Test
    void shouldHandOutEveryChunkOnceThenAnswerNullUntilOneIsReleased() throws Exception {
        try (RdmaBufferPool pool = pool(3)) {
            List<RegisteredBuffer> taken = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                taken.add(pool.allocate());
            }
            assertThat(taken).doesNotContainNull().doesNotHaveDuplicates();
            assertThat(taken).extracting(RegisteredBuffer::address).doesNotHaveDuplicates()
                    .allSatisfy(a -> assertThat(a % 4096).isZero());
            assertThat(pool.allocate()).isNull();
            assertThat(pool.available()).isZero();

            taken.get(1).release();
            assertThat(pool.available()).isEqualTo(1);
            assertThat(pool.allocate()).isSameAs(taken.get(1));
            taken.get(1).release();
            assertThatThrownBy(() -> taken.get(1).release()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("released twice");
        }
    }

    @Test
    void shouldReturnTheChunkWhenItsOwningByteBufIsReleasedAndFindItUnderSlices() throws Exception {
        try (RdmaBufferPool pool = pool(1)) {
            RegisteredBuffer chunk = pool.allocate();
            ByteBuf owning = chunk.toByteBuf(ByteBufAllocator.DEFAULT);
            assertThat(owning.readerIndex()).isZero();
            assertThat(owning.writerIndex()).isZero();
            assertThat(owning.capacity()).isEqualTo(4096);
            owning.writeInt(0x01020304);
            assertThat(chunk.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);

            ByteBuf slice = owning.retainedSlice(0, 4);
            assertThat(RegisteredBuffer.under(slice)).isSameAs(chunk);
            ByteBuf other = ByteBufAllocator.DEFAULT.directBuffer(8);
            assertThat(RegisteredBuffer.under(other)).isNull();
            other.release();
            owning.release();
            assertThat(pool.available()).isZero(); // the slice still holds it
            slice.release();
            assertThat(pool.available()).isEqualTo(1);
        }
    }

    @Test
    void viewReleaseDoesNotFreeTheChunk() throws Exception {
        try (RdmaBufferPool pool = pool(1)) {
            RegisteredBuffer chunk = pool.allocate();
            ByteBuf view = chunk.byteBuf();
            view.writeLong(42);
            view.release();
            assertThat(pool.available()).isZero();
            assertThat(chunk.byteBuf().writerIndex()).isZero();
            assertThat(chunk.byteBuf().getLong(0)).isEqualTo(42);
            chunk.release();
            assertThat(pool.available()).isEqualTo(1);
        }
    }
}
