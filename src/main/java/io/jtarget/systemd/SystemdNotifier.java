package io.jtarget.systemd;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service manager notification protocol, {@code sd_notify(3)}: newline-separated
 * {@code KEY=VALUE} assignments in one datagram to the AF_UNIX socket named by
 * {@code $NOTIFY_SOCKET} (a path, or {@code @name} for the abstract namespace). systemd uses them
 * for {@code Type=notify} readiness ({@code READY=1}), stopping ({@code STOPPING=1}), status text
 * and the watchdog ({@code WATCHDOG=1} within {@code $WATCHDOG_USEC}).
 *
 * <p>Sent through the FFM API ({@code socket}, {@code sendto}, {@code close}): the JDK's Unix domain
 * sockets are stream-only. Sends never block ({@code MSG_DONTWAIT}), so the watchdog may send from
 * a network event loop. Without {@code $NOTIFY_SOCKET} (not started by systemd) every call is a no-op.
 */
public final class SystemdNotifier {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);

    /** {@code <sys/socket.h>} on Linux. */
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** {@code struct sockaddr_un}: a 2-byte family, then {@code sun_path[108]}. */
    private static final int SUN_PATH_OFFSET = 2;
    private static final int SUN_PATH_LENGTH = 108;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET;
    private static final MethodHandle SENDTO;
    private static final MethodHandle CLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        var capture = Linker.Option.captureCallState("errno");
        SOCKET = linker.downcallHandle(libc.findOrThrow("socket"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT), capture);
        SENDTO = linker.downcallHandle(libc.findOrThrow("sendto"),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                capture);
        CLOSE = linker.downcallHandle(libc.findOrThrow("close"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    /** The socket address bytes (sun_path contents) and their length; null when disabled. */
    private final byte[] path;
    private final String description;
    private volatile boolean failureLogged;

    private SystemdNotifier(byte[] path, String description) {
        this.path = path;
        this.description = description;
    }

    /** The notifier $NOTIFY_SOCKET names, or one that does nothing. */
    public static SystemdNotifier fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static SystemdNotifier fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        return socket == null || socket.isEmpty() ? new SystemdNotifier(null, "none") : to(socket);
    }

    /**
     * A notifier sending to {@code socket}: a file system path, or {@code @name} for the abstract
     * namespace (the leading {@code @} becomes the NUL byte of an abstract address, unix(7)).
     */
    public static SystemdNotifier to(String socket) {
        byte[] name = socket.getBytes(StandardCharsets.UTF_8);
        if (socket.startsWith("@")) {
            name[0] = 0;
        } else if (!socket.startsWith("/")) {
            throw new IllegalArgumentException("NOTIFY_SOCKET must be an absolute path or @abstract: " + socket);
        }
        // A path needs its terminating NUL inside sun_path; an abstract name uses every byte.
        if (name.length + (name[0] == 0 ? 0 : 1) > SUN_PATH_LENGTH) {
            throw new IllegalArgumentException("NOTIFY_SOCKET longer than " + SUN_PATH_LENGTH + " bytes: " + socket);
        }
        return new SystemdNotifier(name, socket);
    }

    /** True when a service manager listens (so readiness and the watchdog mean something). */
    public boolean enabled() {
        return path != null;
    }

    /**
     * The watchdog interval systemd expects pings within ({@code WatchdogSec=}), when it asked for
     * them: {@code $WATCHDOG_USEC} set and {@code $WATCHDOG_PID} unset or ours (sd_watchdog_enabled(3)).
     */
    public static Optional<Duration> watchdogInterval(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        String watchdogPid = env.get("WATCHDOG_PID");
        if (usec == null || (watchdogPid != null && !watchdogPid.equals(Long.toString(pid)))) {
            return Optional.empty();
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return micros > 0 ? Optional.of(Duration.ofNanos(micros * 1000)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public boolean ready(String status) {
        return notify("READY=1\nSTATUS=" + status);
    }

    public boolean stopping(String status) {
        return notify("STOPPING=1\nSTATUS=" + status);
    }

    public boolean watchdog() {
        return notify("WATCHDOG=1");
    }

    /**
     * Sends one datagram of {@code state}. Returns false when it could not be sent (no socket, a full
     * socket buffer, no listener); the first failure is logged, later ones are not (the watchdog would
     * repeat it every few seconds).
     */
    public boolean notify(String state) {
        if (path == null) {
            return false;
        }
        int fd = -1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CALL_STATE);
            fd = (int) SOCKET.invokeExact(errno, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return failed("socket", (int) ERRNO.get(errno, 0L));
            }
            MemorySegment address = arena.allocate(SUN_PATH_OFFSET + SUN_PATH_LENGTH);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(path, 0, address, ValueLayout.JAVA_BYTE, SUN_PATH_OFFSET, path.length);
            // unix(7): an abstract address is exactly as long as its name; a path includes its NUL.
            int addressLength = SUN_PATH_OFFSET + path.length + (path[0] == 0 ? 0 : 1);
            byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
            MemorySegment message = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            long sent = (long) SENDTO.invokeExact(errno, fd, message, (long) bytes.length,
                    MSG_DONTWAIT | MSG_NOSIGNAL, address, addressLength);
            if (sent < 0) {
                return failed("sendto", (int) ERRNO.get(errno, 0L));
            }
            return true;
        } catch (Throwable t) {
            if (t instanceof Error e && !(e instanceof LinkageError)) {
                throw e;
            }
            return failed(t.toString(), 0);
        } finally {
            if (fd >= 0) {
                closeQuietly(fd);
            }
        }
    }

    private static void closeQuietly(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // Nothing useful to do: the descriptor is gone either way.
        }
    }

    private boolean failed(String call, int errno) {
        if (!failureLogged) {
            failureLogged = true;
            log.warn("cannot notify the service manager at {}: {} failed{}", description, call,
                    errno == 0 ? "" : " (errno " + errno + ")");
        }
        return false;
    }

    @Override
    public String toString() {
        return "SystemdNotifier[" + description + "]";
    }
}
