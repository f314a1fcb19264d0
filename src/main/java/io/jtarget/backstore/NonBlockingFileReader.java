package io.jtarget.backstore;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a file on the caller's thread only when that cannot block: Linux {@code preadv2(2)} with
 * {@code RWF_NOWAIT} copies the data if every page is in the page cache and otherwise returns at
 * once ({@code EAGAIN} or a short count) without starting any I/O. A page-cache hit is then served
 * without handing the request to a backend thread and the completion back to the event loop: two
 * thread wake-ups and their syscalls saved per I/O (seed 002). A miss tells the caller to take the
 * ordinary blocking path on the backend pool.
 *
 * <p>Used through the Java FFM API on a descriptor of its own (O_RDONLY), opened next to the file
 * channel. Where the call is unavailable (not Linux, a kernel before 4.14, a file system without
 * non-blocking buffered reads) {@link #open} returns null or the reader turns itself off after the
 * first {@code EOPNOTSUPP}/{@code EINVAL}/{@code ENOSYS}, and every read goes to the pool as before.
 *
 * <p>Closing waits for reads in progress on other threads, so the descriptor number can never be
 * reused under a running read.
 */
final class NonBlockingFileReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NonBlockingFileReader.class);

    // <fcntl.h>, <sys/uio.h>, <errno.h> on Linux (the same values on x86-64 and arm64).
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int RWF_NOWAIT = 0x00000008;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EINVAL = 22;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;

    private static final Native NATIVE = Native.load();

    private final int fd;
    private final String description;
    /** Reads in progress; {@link #CLOSED_MARK} once closing began. */
    private final AtomicInteger users = new AtomicInteger();
    private static final int CLOSED_MARK = Integer.MIN_VALUE / 2;
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
            int fd = NATIVE.open(path.toAbsolutePath().toString());
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
        if (disabled || dst.nioBufferCount() != 1 || !enter()) {
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
                if (n == -EINTR) {
                    continue;
                }
                if (n == -EOPNOTSUPP || n == -EINVAL || n == -ENOSYS) {
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
            users.decrementAndGet();
        }
    }

    private boolean enter() {
        if (users.incrementAndGet() > 0) {
            return true;
        }
        users.decrementAndGet();
        return false;
    }

    @Override
    public void close() {
        if (users.getAndAdd(CLOSED_MARK) < 0) {
            users.getAndAdd(-CLOSED_MARK); // already closed
            return;
        }
        // Reads in progress never block, so this wait is short.
        while (users.get() != CLOSED_MARK) {
            Thread.onSpinWait();
        }
        NATIVE.close(fd);
    }

    /** The libc entry points, bound once. */
    private static final class Native {
        // iov_base as a 64-bit integer (LP64 Linux): setting it from a long needs no MemorySegment per read.
        private static final StructLayout IOVEC = MemoryLayout.structLayout(
                ValueLayout.JAVA_LONG.withName("iov_base"), ValueLayout.JAVA_LONG.withName("iov_len"));
        private static final VarHandle IOV_BASE = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_base"));
        private static final VarHandle IOV_LEN = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_len"));

        private final MethodHandle open;
        private final MethodHandle preadv2;
        private final MethodHandle close;
        private final StructLayout callState = Linker.Option.captureStateLayout();
        private final VarHandle errno = callState.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        /** Per thread: one iovec and the captured errno, so a read allocates nothing. */
        private final ThreadLocal<MemorySegment[]> scratch;

        private Native(MethodHandle open, MethodHandle preadv2, MethodHandle close) {
            this.open = open;
            this.preadv2 = preadv2;
            this.close = close;
            this.scratch = ThreadLocal.withInitial(() -> {
                Arena arena = Arena.ofAuto();
                return new MemorySegment[] {arena.allocate(IOVEC), arena.allocate(callState)};
            });
        }

        static Native load() {
            String os = System.getProperty("os.name", "");
            if (!os.toLowerCase(java.util.Locale.ROOT).contains("linux") || ValueLayout.ADDRESS.byteSize() != Long.BYTES) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT),
                        errno, Linker.Option.firstVariadicArg(2));
                MethodHandle preadv2 = linker.downcallHandle(libc.find("preadv2").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
                        errno);
                MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                return new Native(open, preadv2, close);
            } catch (Throwable t) {
                // No FFM access (--enable-native-access denied), no such symbol, unsupported platform.
                LOG.debug("preadv2 unavailable: {}", t.toString());
                return null;
            }
        }

        int open(String path) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(callState);
                int fd = (int) open.invokeExact(state, arena.allocateFrom(path), O_RDONLY | O_CLOEXEC, 0);
                if (fd < 0) {
                    throw new IOException("open(" + path + ") failed: errno " + (int) errno.get(state, 0L));
                }
                return fd;
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException(t);
            }
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
            return n >= 0 ? n : -(int) errno.get(state, 0L);
        }

        void close(int fd) {
            try {
                int ignored = (int) close.invokeExact(fd);
            } catch (Throwable t) {
                LOG.warn("close({}) failed", fd, t);
            }
        }
    }
}
