package io.jtarget.net;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file descriptor that is not a Netty channel (an RDMA completion or CM event channel, a TCMU
 * uio device, a netlink socket, an eventfd) watched by one of the server's epoll event loops, so
 * that no thread waits or spins per device (DESIGN.md "Threads").
 *
 * <p>Interest is level-triggered: when {@code onReadable} returns without draining everything
 * (it should work in bounded batches), epoll reports the descriptor again on the loop's
 * next round, after the other connections of that loop had their turn.
 *
 * <p>The descriptor stays owned by whoever opened it (the native library usually closes it);
 * {@link #close} only stops watching. {@code onReadable} runs on the loop, never concurrently
 * with itself; it must not block.
 */
public final class WatchedFd implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WatchedFd.class);

    private final IoEventLoop loop;
    private final int fd;
    private final Runnable onReadable;
    private volatile IoRegistration registration;
    private volatile boolean closed;

    private WatchedFd(IoEventLoop loop, int fd, Runnable onReadable) {
        this.loop = loop;
        this.fd = fd;
        this.onReadable = onReadable;
    }

    /**
     * Start watching {@code fd} for readability on {@code loop}.
     *
     * @return completes once epoll watches the descriptor; fails with {@link IllegalStateException}
     *     when the loop is not a native epoll loop (NIO cannot watch foreign descriptors)
     */
    public static CompletionStage<WatchedFd> watch(EventLoop loop, int fd, Runnable onReadable) {
        Objects.requireNonNull(onReadable, "onReadable");
        CompletableFuture<WatchedFd> result = new CompletableFuture<>();
        if (!(loop instanceof IoEventLoop ioLoop) || !ioLoop.isIoType(EpollIoHandler.class)) {
            result.completeExceptionally(new IllegalStateException(
                    "watching a native descriptor needs the epoll transport (Linux, netty-transport-native-epoll)"));
            return result;
        }
        WatchedFd watched = new WatchedFd(ioLoop, fd, onReadable);
        ioLoop.register(watched.new Handle()).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
            }
            IoRegistration reg = (IoRegistration) f.getNow();
            watched.registration = reg;
            if (watched.closed) {
                reg.cancel();
            } else {
                reg.submit(EpollIoOps.EPOLLIN);
            }
            result.complete(watched);
        });
        return result;
    }

    public int fd() {
        return fd;
    }

    /** The loop {@code onReadable} runs on; work for this descriptor belongs there. */
    public EventLoop loop() {
        return loop;
    }

    /** Stop watching (the descriptor itself is not closed); idempotent, any thread. */
    @Override
    public void close() {
        closed = true;
        IoRegistration reg = registration;
        if (reg != null) {
            if (loop.inEventLoop()) {
                reg.cancel();
            } else {
                loop.execute(reg::cancel);
            }
        }
    }

    private final class Handle implements EpollIoHandle {
        /** Wraps the number for Netty; never closed here: the descriptor is not ours. */
        private final FileDescriptor descriptor = new FileDescriptor(fd);

        @Override
        public FileDescriptor fd() {
            return descriptor;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            EpollIoOps ops = ((EpollIoEvent) event).ops();
            if (closed) {
                return;
            }
            if (ops.contains(EpollIoOps.EPOLLERR) && !ops.contains(EpollIoOps.EPOLLIN)) {
                // Let the owner find the error by reading, as for a readable descriptor.
                log.debug("fd {}: EPOLLERR", fd);
            }
            try {
                onReadable.run();
            } catch (RuntimeException e) {
                log.error("fd {}: readiness handler failed", fd, e);
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
