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
import java.util.Locale;

/**
 * The Linux C library as the FFM bindings of this package see it ({@link NativeFile},
 * {@link NonBlockingFileReader}): {@code open(2)} and {@code close(2)} of a descriptor of one's own,
 * {@code errno} captured per call, and the constants of the headers. On other systems, or where
 * native access is denied, {@link #available()} is false and {@link #bind} yields null.
 */
final class Libc {
    /** {@code <fcntl.h>}, {@code <errno.h>} values: the same on every Linux architecture we run on. */
    static final int O_RDONLY = 0;
    static final int O_RDWR = 0x2;
    static final int O_CLOEXEC = 0x80000;
    static final int EINTR = 4;
    static final int ENXIO = 6;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;

    /** Layout of the segment a call with captured state writes {@code errno} into. */
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final Linker LINKER;
    private static final SymbolLookup LOOKUP;
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;

    static {
        Linker linker = null;
        SymbolLookup lookup = null;
        MethodHandle open = null;
        MethodHandle close = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            try {
                linker = Linker.nativeLinker();
                lookup = linker.defaultLookup();
                open = linker.downcallHandle(lookup.findOrThrow("open"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT),
                        Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
                close = linker.downcallHandle(lookup.findOrThrow("close"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) {
                // No usable C library (native access denied, unsupported platform): nothing native is offered.
                linker = null;
                lookup = null;
                open = null;
                close = null;
            }
        }
        LINKER = linker;
        LOOKUP = lookup;
        OPEN = open;
        CLOSE = close;
    }

    private Libc() {}

    /** True when {@link #open} and {@link #close} are bound (Linux with native access). */
    static boolean available() {
        return OPEN != null;
    }

    /**
     * A downcall to {@code name} that captures {@code errno} (the first argument is then the
     * {@link #CALL_STATE} segment), or null when the C library or the symbol is unavailable.
     */
    static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        if (!available()) {
            return null;
        }
        try {
            return LINKER.downcallHandle(LOOKUP.findOrThrow(name), descriptor, Linker.Option.captureCallState("errno"));
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** {@code open(path, flags | O_CLOEXEC)}: a descriptor of the caller's own. */
    static int open(String path, int flags) throws IOException {
        if (!available()) {
            throw new IOException("native file calls are not available on this system");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("open(" + path + ") failed: errno " + errno(state));
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("open(" + path + ") failed", t);
        }
    }

    /**
     * {@code close(fd)}. Its result is of no use: the descriptor is gone either way (close(2) is never
     * retried), so only a failure of the call itself is thrown.
     */
    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("close(" + fd + ") failed", t);
        }
    }

    /** The {@code errno} a call with captured state left in {@code state}. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
