package io.jtarget.tcmu;

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

/**
 * The few C library calls a TCMU handler needs, through the FFM API: a uio character device
 * ({@code open}, {@code read}, {@code write}, {@code mmap}) and a generic netlink socket
 * ({@code socket}, {@code bind}, {@code send}, {@code recv}, {@code setsockopt}). Each call
 * captures {@code errno}; failures become {@link NativeException} naming the call.
 */
final class Posix {
    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x1;
    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_GENERIC = 16;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_ADD_MEMBERSHIP = 1;
    static final int MSG_DONTWAIT = 0x40;
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDR = ValueLayout.ADDRESS;

    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(INT, ADDR, INT, INT), 2);
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(INT, INT), -1);
    private static final MethodHandle READ = bind("read", FunctionDescriptor.of(LONG, INT, ADDR, LONG), -1);
    private static final MethodHandle WRITE = bind("write", FunctionDescriptor.of(LONG, INT, ADDR, LONG), -1);
    private static final MethodHandle MMAP =
            bind("mmap", FunctionDescriptor.of(ADDR, ADDR, LONG, INT, INT, INT, LONG), -1);
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(INT, ADDR, LONG), -1);
    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(INT, INT, INT, INT), -1);
    private static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(INT, INT, ADDR, INT), -1);
    private static final MethodHandle SEND = bind("send", FunctionDescriptor.of(LONG, INT, ADDR, LONG, INT), -1);
    private static final MethodHandle RECV = bind("recv", FunctionDescriptor.of(LONG, INT, ADDR, LONG, INT), -1);
    private static final MethodHandle SETSOCKOPT =
            bind("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDR, INT), -1);

    private Posix() {}

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, int firstVariadic) {
        Linker.Option capture = Linker.Option.captureCallState("errno");
        return firstVariadic < 0
                ? LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, capture)
                : LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, capture,
                        Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** A failed call with its errno. */
    static final class NativeException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        NativeException(String call, int errno) {
            super(call + ": " + describe(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }

        int errno() {
            return errno;
        }

        private static String describe(int errno) {
            return switch (errno) {
                case EPERM -> "operation not permitted";
                case ENOENT -> "no such file or directory";
                case EAGAIN -> "try again";
                case EBUSY -> "device or resource busy";
                case ENODEV -> "no such device";
                case EINVAL -> "invalid argument";
                case 13 -> "permission denied";
                default -> "error";
            };
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static int open(String path, int flags) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags, 0);
            if (fd < 0) {
                throw new NativeException("open " + path, errno(state));
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code read(2)} into {@code buf}; returns bytes read, or -errno (EAGAIN for an empty non-blocking fd). */
    static long read(int fd, MemorySegment buf, MemorySegment state) {
        try {
            long n = (long) READ.invokeExact(state, fd, buf, buf.byteSize());
            return n < 0 ? -errno(state) : n;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code write(2)} of all of {@code buf}; returns bytes written, or -errno. */
    static long write(int fd, MemorySegment buf, MemorySegment state) {
        try {
            long n = (long) WRITE.invokeExact(state, fd, buf, buf.byteSize());
            return n < 0 ? -errno(state) : n;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Map {@code size} bytes of {@code fd} shared, readable and writable; the arena's close unmaps. */
    static MemorySegment mmapShared(int fd, long size, Arena arena) throws IOException {
        MemorySegment address;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CALL_STATE);
            address = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                    MAP_SHARED, fd, 0L);
            if (address.address() == -1L) {
                throw new NativeException("mmap", errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        long base = address.address();
        return address.reinterpret(size, arena, segment -> munmap(base, size));
    }

    private static void munmap(long address, long size) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) MUNMAP.invokeExact(arena.allocate(CALL_STATE), MemorySegment.ofAddress(address), size);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int socket(int domain, int type, int protocol) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) SOCKET.invokeExact(state, domain, type, protocol);
            if (fd < 0) {
                throw new NativeException("socket", errno(state));
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Bind a netlink socket to an address the kernel picks (struct sockaddr_nl, all zero but the family). */
    static void bindNetlink(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment sockaddr = arena.allocate(12);
            sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
            int rc = (int) BIND.invokeExact(state, fd, sockaddr, 12);
            if (rc < 0) {
                throw new NativeException("bind netlink", errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void setsockoptInt(int fd, int level, int name, int value) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment v = arena.allocateFrom(ValueLayout.JAVA_INT, value);
            int rc = (int) SETSOCKOPT.invokeExact(state, fd, level, name, v, 4);
            if (rc < 0) {
                throw new NativeException("setsockopt", errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void send(int fd, byte[] message) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, message);
            long n = (long) SEND.invokeExact(state, fd, buf, (long) message.length, 0);
            if (n < 0) {
                throw new NativeException("send netlink", errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code recv(2)}; returns the bytes received, or -errno (EAGAIN when nothing waits and MSG_DONTWAIT). */
    static long recv(int fd, MemorySegment buf, int flags, MemorySegment state) {
        try {
            long n = (long) RECV.invokeExact(state, fd, buf, buf.byteSize(), flags);
            return n < 0 ? -errno(state) : n;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A segment for {@link #read}, {@link #write} and {@link #recv} to capture errno into. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }
}
