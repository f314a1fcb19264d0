package io.jtarget.backstore;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a file on the caller's thread only when that cannot block: Linux {@code preadv2(2)} with
 * {@code RWF_NOWAIT} copies the data if every page is in the page cache and otherwise returns at
 * once ({@code EAGAIN} or a short count) without starting any I/O. A page-cache hit is then served
 * without handing the request to a backend thread and the completion back to the event loop: two
 * thread wake-ups and their syscalls saved per I/O. A miss tells the caller to take the
 * ordinary blocking path on the backend pool.
 *
 * <p>Used through the Java FFM API ({@link Libc}) on a descriptor of its own (O_RDONLY), opened next
 * to the file channel. Where the call is unavailable (not Linux, a kernel before 4.14, a file system without
 * non-blocking buffered reads) {@link #open} returns null or the reader turns itself off after the
 * first {@code EOPNOTSUPP}/{@code EINVAL}/{@code ENOSYS}, and every read goes to the pool as before.
 *
 * <p>Closing waits for reads in progress on other threads, so the descriptor number can never be
 * reused under a running read.
 */
final class NonBlockingFileReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NonBlockingFileReader.class);

    /** {@code <sys/uio.h>} (the same value on x86-64 and arm64). */
    private static final int RWF_NOWAIT = 0x00000008;

    private static final Native NATIVE = Native.load();

    private final int fd;
    private final String description;
    private final DescriptorUsers users = new DescriptorUsers();
    private volatile boolean disabled;

    private NonBlockingFileReader(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** A reader for {@code path}, or null when non-blocking reads are not available here. */
    static NonBlockingFileReader open(Path path) {
        if (NATIVE == null) {
            return null;
        }
        try {
            int fd = Libc.open(path.toAbsolutePath().toString(), Libc.O_RDONLY);
            return new NonBlockingFileReader(fd, path.toString());
        } catch (IOException e) {
            LOG.debug("non-blocking reads unavailable for {}: {}", path, e.getMessage());
            return null;
        }
    }

    /** True when the platform offers {@code preadv2} (for tests and the startup log). */
    static boolean available() {
        return NATIVE != null;
    }

    /**
     * Fills {@code length} bytes of {@code dst} from its writer index with the file's bytes at
     * {@code position}, only if they are all in the page cache. Never blocks on I/O.
     *
     * @return true when all bytes were read (the writer index is advanced); false when the caller
     *     must read them the blocking way (the buffer's indices are unchanged, its content beyond
     *     the writer index unspecified)
     */
    boolean tryRead(ByteBuf dst, int length, long position) {
        if (disabled || dst.nioBufferCount() != 1 || !users.enter()) {
            return false;
        }
        try {
            int index = dst.writerIndex();
            long address;
            if (dst.hasMemoryAddress()) {
                address = dst.memoryAddress() + index;
            } else {
                ByteBuffer nio = dst.internalNioBuffer(index, length);
                if (!nio.isDirect()) {
                    return false;
                }
                address = MemorySegment.ofBuffer(nio).address();
            }
            long done = 0;
            while (done < length) {
                long n = NATIVE.preadNoWait(fd, address + done, length - done, position + done);
                if (n > 0) {
                    done += n;
                    continue;
                }
                if (n == -Libc.EINTR) {
                    continue;
                }
                if (n == -Libc.EOPNOTSUPP || n == -Libc.EINVAL || n == -Libc.ENOSYS) {
                    disabled = true;
                    LOG.info("non-blocking page-cache reads not supported for {} (errno {}); using the backend pool",
                            description, -n);
                }
                // 0: end of file (the file shrank; the blocking path zero-fills); -EAGAIN: not cached.
                return false;
            }
            dst.writerIndex(index + length);
            return true;
        } finally {
            users.exit();
        }
    }

    /** Waits for reads in progress (they never block, so briefly), then closes the descriptor; idempotent. */
    @Override
    public void close() {
        if (users.close()) {
            try {
                Libc.close(fd);
            } catch (RuntimeException e) {
                LOG.warn("close({}) failed", fd, e);
            }
        }
    }

    /** The {@code preadv2} entry point, bound once, and per-thread scratch memory for it. */
    private static final class Native {
        // iov_base as a 64-bit integer (LP64 Linux): setting it from a long needs no MemorySegment per read.
        private static final StructLayout IOVEC = MemoryLayout.structLayout(
                ValueLayout.JAVA_LONG.withName("iov_base"), ValueLayout.JAVA_LONG.withName("iov_len"));
        private static final VarHandle IOV_BASE = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_base"));
        private static final VarHandle IOV_LEN = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_len"));

        private final MethodHandle preadv2;
        /** Per thread: one iovec and the captured errno, so a read allocates nothing. */
        private final ThreadLocal<MemorySegment[]> scratch;

        private Native(MethodHandle preadv2) {
            this.preadv2 = preadv2;
            this.scratch = ThreadLocal.withInitial(() -> {
                Arena arena = Arena.ofAuto();
                return new MemorySegment[] {arena.allocate(IOVEC), arena.allocate(Libc.CALL_STATE)};
            });
        }

        static Native load() {
            if (ValueLayout.ADDRESS.byteSize() != Long.BYTES) {
                return null;
            }
            MethodHandle preadv2 = Libc.bind("preadv2",
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            if (preadv2 == null) {
                // Not Linux, no FFM access (--enable-native-access denied), or a C library without preadv2.
                LOG.debug("preadv2 unavailable");
                return null;
            }
            return new Native(preadv2);
        }

        /** @return bytes read, 0 at end of file, or minus errno */
        long preadNoWait(int fd, long address, long length, long position) {
            MemorySegment[] s = scratch.get();
            MemorySegment iov = s[0];
            MemorySegment state = s[1];
            IOV_BASE.set(iov, 0L, address);
            IOV_LEN.set(iov, 0L, length);
            long n;
            try {
                n = (long) preadv2.invokeExact(state, fd, iov, 1, position, RWF_NOWAIT);
            } catch (Throwable t) {
                throw new IllegalStateException("preadv2 failed", t);
            }
            return n >= 0 ? n : -Libc.errno(state);
        }
    }
}
