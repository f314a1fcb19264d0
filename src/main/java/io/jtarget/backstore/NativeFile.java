package io.jtarget.backstore;

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
import java.nio.file.Path;
import java.util.Locale;

/**
 * A dedicated Linux file descriptor for the calls the JDK has no API for: {@code fallocate(2)} hole
 * punching and {@code lseek(2)} with {@code SEEK_DATA}/{@code SEEK_HOLE} (thin provisioning of
 * {@link FileBlockDevice}). Bound through the FFM API to the C library; {@link #isAvailable()} is
 * false on other systems, where thin provisioning is simply not offered.
 *
 * <p>Thread-safe: positional calls only, the descriptor is closed once.
 */
final class NativeFile implements AutoCloseable {
    /** fcntl.h / linux/falloc.h / errno.h values (identical on every Linux architecture we run on). */
    static final int O_RDWR = 0x2;
    static final int O_CLOEXEC = 0x80000;
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int ENXIO = 6;
    static final int EINTR = 4;
    static final int EOPNOTSUPP = 95;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle LSEEK;

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle fallocate = null;
        MethodHandle lseek = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            try {
                SymbolLookup libc = LINKER.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                open = LINKER.downcallHandle(libc.findOrThrow("open"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                        errno, Linker.Option.firstVariadicArg(2));
                close = LINKER.downcallHandle(libc.findOrThrow("close"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
                fallocate = LINKER.downcallHandle(libc.findOrThrow("fallocate"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), errno);
                lseek = LINKER.downcallHandle(libc.findOrThrow("lseek"),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT), errno);
            } catch (RuntimeException | LinkageError e) {
                open = null; // no usable C library: thin provisioning is not offered
            }
        }
        OPEN = open;
        CLOSE = close;
        FALLOCATE = fallocate;
        LSEEK = lseek;
    }

    private final int fd;
    private final String path;
    private volatile boolean closed;

    private NativeFile(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    /** True when the C library calls are bound (Linux with native access enabled). */
    static boolean isAvailable() {
        return OPEN != null;
    }

    /** Opens {@code path} read-write on a descriptor of its own. */
    static NativeFile open(Path path) throws IOException {
        if (!isAvailable()) {
            throw new IOException("native file calls are not available on this system");
        }
        String name = path.toAbsolutePath().toString();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment cPath = arena.allocateFrom(name);
            int fd = (int) OPEN.invokeExact(state, cPath, O_RDWR | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("open(" + name + ") failed: errno " + errno(state));
            }
            return new NativeFile(fd, name);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("open(" + name + ") failed", t);
        }
    }

    /**
     * Deallocates {@code [offset, offset + length)}, keeping the file size; partial file system blocks
     * at either end are zeroed by the file system.
     *
     * @return false when the file system does not support hole punching (EOPNOTSUPP)
     */
    boolean punchHole(long offset, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (true) {
                int rc = (int) FALLOCATE.invokeExact(state, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
                if (rc == 0) {
                    return true;
                }
                int errno = errno(state);
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EOPNOTSUPP) {
                    return false;
                }
                throw new IOException("fallocate(PUNCH_HOLE, " + offset + ", " + length + ") on " + path
                        + " failed: errno " + errno);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("fallocate on " + path + " failed", t);
        }
    }

    /**
     * {@code lseek(fd, offset, whence)} for {@link #SEEK_DATA} or {@link #SEEK_HOLE}.
     *
     * @return the resulting offset, or -1 when there is no data at or after {@code offset} (ENXIO)
     */
    long seek(long offset, int whence) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long rc = (long) LSEEK.invokeExact(state, fd, offset, whence);
            if (rc >= 0) {
                return rc;
            }
            int errno = errno(state);
            if (errno == ENXIO) {
                return -1;
            }
            throw new IOException("lseek(" + offset + ", " + whence + ") on " + path + " failed: errno " + errno);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("lseek on " + path + " failed", t);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int ignored = (int) CLOSE.invokeExact(state, fd);
        } catch (Throwable t) {
            // Nothing useful to do: the descriptor is gone either way (close(2) never retries).
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
