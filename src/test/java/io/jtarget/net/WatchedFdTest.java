package io.jtarget.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.unix.FileDescriptor;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WatchedFdTest {

    @Test
    void shouldRunTheHandlerOnTheLoopUntilTheDescriptorIsDrainedAndNotAfterClose() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        FileDescriptor[] pipe = FileDescriptor.pipe();
        try {
            LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            var loop = group.next();
            WatchedFd watched = WatchedFd.watch(loop, pipe[0].intValue(), () -> {
                // Level-triggered: read one byte per wake-up; the rest wakes the loop again.
                one.clear();
                try {
                    if (pipe[0].read(one, 0, 1) == 1) {
                        seen.add((loop.inEventLoop() ? "loop:" : "other:") + (char) one.get(0));
                    }
                } catch (java.io.IOException e) {
                    seen.add("error");
                }
            }).toCompletableFuture().get(5, TimeUnit.SECONDS);

            pipe[1].write(direct("ab"), 0, 2);
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("loop:a");
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("loop:b");

            watched.close();
            loop.submit(() -> {}).sync(); // the cancel ran
            pipe[1].write(direct("c"), 0, 1);
            assertThat(seen.poll(300, TimeUnit.MILLISECONDS)).isNull();
        } finally {
            pipe[0].close();
            pipe[1].close();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    private static ByteBuffer direct(String text) {
        ByteBuffer b = ByteBuffer.allocateDirect(text.length());
        b.put(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).flip();
        return b;
    }

    @Test
    void shouldRefuseALoopThatIsNotEpoll() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            var watch = WatchedFd.watch(group.next(), 0, () -> {}).toCompletableFuture();
            assertThat(watch).isCompletedExceptionally();
            try {
                watch.join();
            } catch (CompletionException e) {
                assertThat(e.getCause()).isInstanceOf(IllegalStateException.class).hasMessageContaining("epoll");
            }
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }
}
