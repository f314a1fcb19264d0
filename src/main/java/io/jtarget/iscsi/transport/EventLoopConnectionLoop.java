package io.jtarget.iscsi.transport;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;

/** A {@link ConnectionLoop} on a Netty event loop: the real clock and Netty's scheduled tasks. */
public final class EventLoopConnectionLoop implements ConnectionLoop {
    private final EventLoop loop;

    public EventLoopConnectionLoop(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public boolean inLoop() {
        return loop.inEventLoop();
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        var future = loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public Timer scheduleRepeating(Runnable task, long periodNanos) {
        var future = loop.scheduleWithFixedDelay(task, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }
}
