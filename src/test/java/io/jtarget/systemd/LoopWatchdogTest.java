package io.jtarget.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoopWatchdogTest {

    @Test
    void shouldPingWhileEveryLoopRunsAndStopWhileOneIsStuck() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(3, NioIoHandler.newFactory());
        Semaphore pings = new Semaphore(0);
        CountDownLatch release = new CountDownLatch(1);
        try (LoopWatchdog watchdog = LoopWatchdog.start(group, pings::release, Duration.ofMillis(20))) {
            assertThat(pings.tryAcquire(5, 10, TimeUnit.SECONDS)).as("pings while all loops run").isTrue();

            // Hang the last loop (the watchdog ticks on the first).
            var loops = new java.util.ArrayList<io.netty.util.concurrent.EventExecutor>();
            group.forEach(loops::add);
            CountDownLatch stuck = new CountDownLatch(1);
            loops.getLast().execute(() -> {
                stuck.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            stuck.await();
            // At most one ping may still certify the round before the hang; then none.
            Thread.sleep(200);
            pings.drainPermits();
            assertThat(pings.tryAcquire(1, 300, TimeUnit.MILLISECONDS)).as("ping while a loop is stuck").isFalse();

            release.countDown();
            assertThat(pings.tryAcquire(1, 10, TimeUnit.SECONDS)).as("pings again once the loop runs").isTrue();
        } finally {
            release.countDown();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
