package io.jtarget.backstore;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * A dedicated Linux file descriptor for the calls the JDK has no API for: {@code fallocate(2)} hole
 * punching and {@code lseek(2)} with {@code SEEK_DATA}/{@code SEEK_HOLE} (thin provisioning of
 * {@link FileBlockDevice}). Bound through the FFM API to the C library ({@link Libc});
 * {@link #isAvailable()} is false on other systems, where thin provisioning is simply not offered.
 *
 * <p>Thread-safe: positional calls only. Closing waits for calls in progress on other threads (the
 * backend pool), so the descriptor number can never be reused under a running call, which would
 * otherwise punch a hole into whatever file was opened next on that number; a call after close
 * fails with {@link DeviceClosedException}.
 */
final class NativeFile implements AutoCloseable {
    /** linux/falloc.h and unistd.h values (identical on every Linux architecture we run on). */
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    private static final MethodHandle FALLOCATE = Libc.bind("fallocate",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle LSEEK = Libc.bind("lseek",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT));

    private final int fd;
    private final String path;
    private final DescriptorUsers users = new DescriptorUsers();

    private NativeFile(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    /** True when the C library calls are bound (Linux with native access enabled). */
    static boolean isAvailable() {
        return Libc.available() && FALLOCATE != null && LSEEK != null;
    }

    /** Opens {@code path} read-write on a descriptor of its own. */
    static NativeFile open(Path path) throws IOException {
        if (!isAvailable()) {
            throw new IOException("native file calls are not available on this system");
        }
        String name = path.toAbsolutePath().toString();
        return new NativeFile(Libc.open(name, Libc.O_RDWR), name);
    }

    /**
     * Deallocates {@code [offset, offset + length)}, keeping the file size; partial file system blocks
     * at either end are zeroed by the file system.
     *
     * @return false when the file system does not support hole punching (EOPNOTSUPP)
     */
    boolean punchHole(long offset, long length) throws IOException {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.CALL_STATE);
            while (true) {
                int rc = (int) FALLOCATE.invokeExact(state, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
                if (rc == 0) {
                    return true;
                }
                int errno = Libc.errno(state);
                if (errno == Libc.EINTR) {
                    continue;
                }
                if (errno == Libc.EOPNOTSUPP) {
                    return false;
                }
                throw new IOException("fallocate(PUNCH_HOLE, " + offset + ", " + length + ") on " + path
                        + " failed: errno " + errno);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("fallocate on " + path + " failed", t);
        } finally {
            users.exit();
        }
    }

    /**
     * {@code lseek(fd, offset, whence)} for {@link #SEEK_DATA} or {@link #SEEK_HOLE}.
     *
     * @return the resulting offset, or -1 when there is no data at or after {@code offset} (ENXIO)
     */
    long seek(long offset, int whence) throws IOException {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.CALL_STATE);
            long rc = (long) LSEEK.invokeExact(state, fd, offset, whence);
            if (rc >= 0) {
                return rc;
            }
            int errno = Libc.errno(state);
            if (errno == Libc.ENXIO) {
                return -1;
            }
            throw new IOException("lseek(" + offset + ", " + whence + ") on " + path + " failed: errno " + errno);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("lseek on " + path + " failed", t);
        } finally {
            users.exit();
        }
    }

    private void enter() throws DeviceClosedException {
        if (!users.enter()) {
            throw new DeviceClosedException(path);
        }
    }

    /** Waits for calls in progress, then closes the descriptor; idempotent. */
    @Override
    public void close() {
        if (users.close()) {
            try {
                Libc.close(fd);
            } catch (RuntimeException e) {
                // Nothing useful to do: the descriptor is gone either way (close(2) never retries).
            }
        }
    }
}
