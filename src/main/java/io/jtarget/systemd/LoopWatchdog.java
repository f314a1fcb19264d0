package io.jtarget.systemd;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Pings the systemd watchdog only while every network event loop runs tasks: a loop stuck in a
 * handler (a deadlock, an endless loop, a blocking call) stops the pings, and systemd restarts the
 * service after {@code WatchdogSec=} (systemd.service(5)).
 *
 * <p>Every {@code period} (half the watchdog interval, as sd_watchdog_enabled(3) advises) a tick on
 * one loop checks that every loop ran the heartbeat task posted at the previous tick, pings if so,
 * and posts the next heartbeat to every loop. A ping therefore certifies that each loop was alive
 * within the last period; the ticking loop is covered too, since a stuck loop does not tick.
 */
public final class LoopWatchdog implements AutoCloseable {
    private final List<EventExecutor> loops = new ArrayList<>();
    private final Runnable ping;
    /** The last round each loop ran its heartbeat for; written by that loop, read by the ticking loop. */
    private final AtomicLongArray lastBeat;
    private final ScheduledFuture<?> ticks;
    /** Touched only by the ticking loop. */
    private long round;

    private LoopWatchdog(EventLoopGroup group, Runnable ping, Duration period) {
        group.forEach(loops::add);
        this.ping = ping;
        this.lastBeat = new AtomicLongArray(loops.size());
        long nanos = period.toNanos();
        this.ticks = loops.getFirst().scheduleAtFixedRate(this::tick, 0, nanos, TimeUnit.NANOSECONDS);
    }

    /** Starts ticking every {@code period} until {@link #close()}; {@code ping} runs on a loop and must not block. */
    public static LoopWatchdog start(EventLoopGroup group, Runnable ping, Duration period) {
        return new LoopWatchdog(group, ping, period);
    }

    private void tick() {
        // Round 0 has no previous heartbeat to check: the loops have just started.
        if (round == 0 || allBeat(round)) {
            ping.run();
        }
        long next = ++round;
        for (int i = 0; i < loops.size(); i++) {
            int index = i;
            loops.get(i).execute(() -> lastBeat.set(index, next));
        }
    }

    /** Did every loop run the heartbeat of {@code r}? A late heartbeat of an older round does not count. */
    private boolean allBeat(long r) {
        for (int i = 0; i < lastBeat.length(); i++) {
            if (lastBeat.get(i) != r) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        ticks.cancel(false);
    }
}
