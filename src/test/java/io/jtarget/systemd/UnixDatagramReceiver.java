package io.jtarget.systemd;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The service manager's side of sd_notify for tests: a real AF_UNIX datagram socket bound to a path
 * or an abstract name, receiving with a timeout. Written against unix(7) directly, apart from the
 * notifier's own code.
 */
public final class UnixDatagramReceiver implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final MethodHandle SOCKET;
    private static final MethodHandle BIND;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle RECV;
    private static final MethodHandle CLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        SOCKET = linker.downcallHandle(libc.findOrThrow("socket"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        BIND = linker.downcallHandle(libc.findOrThrow("bind"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        SETSOCKOPT = linker.downcallHandle(libc.findOrThrow("setsockopt"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        RECV = linker.downcallHandle(libc.findOrThrow("recv"), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        CLOSE = linker.downcallHandle(libc.findOrThrow("close"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT));
    }

    private final int fd;

    /** Binds to {@code name}: a path, or {@code @name} for the abstract namespace; receives wait 5 s at most. */
    public UnixDatagramReceiver(String name) throws Throwable {
        this(name, 5);
    }

    /** As {@link #UnixDatagramReceiver(String)}, with receives waiting at most {@code timeoutSeconds}. */
    public UnixDatagramReceiver(String name, long timeoutSeconds) throws Throwable {
        fd = (int) SOCKET.invokeExact(AF_UNIX, SOCK_DGRAM, 0);
        if (fd < 0) {
            throw new IllegalStateException("socket failed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = arena.allocate(SOCKADDR_UN_SIZE);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            boolean abstractName = name.startsWith("@");
            for (int i = 0; i < bytes.length; i++) {
                addr.set(ValueLayout.JAVA_BYTE, 2 + i, abstractName && i == 0 ? 0 : bytes[i]);
            }
            int length = abstractName ? 2 + bytes.length : SOCKADDR_UN_SIZE;
            if ((int) BIND.invokeExact(fd, addr, length) != 0) {
                throw new IllegalStateException("bind " + name + " failed");
            }
            MemorySegment timeout = arena.allocate(16);
            timeout.set(ValueLayout.JAVA_LONG, 0, timeoutSeconds); // a guard against a hang, not a measurement
            if ((int) SETSOCKOPT.invokeExact(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16) != 0) {
                throw new IllegalStateException("setsockopt failed");
            }
        }
    }

    /** The next datagram, or null when none came within the timeout. */
    public String receive() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            long n = (long) RECV.invokeExact(fd, buf, 4096L, 0);
            return n < 0 ? null : new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new Exception(t);
        }
    }
}
