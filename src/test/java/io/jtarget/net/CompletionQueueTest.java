package io.jtarget.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CompletionQueueTest {

    private final ExecutorService loop = Executors.newSingleThreadExecutor();
    private final AtomicInteger loopTasks = new AtomicInteger();
    private final List<Integer> handled = new ArrayList<>(); // touched on the loop only
    private final List<Integer> batchSizes = new ArrayList<>();
    private int inBatch;

    @AfterEach
    void stop() throws InterruptedException {
        loop.shutdownNow();
        assertThat(loop.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private CompletionQueue<Integer> queue() {
        return new CompletionQueue<>(r -> {
            loopTasks.incrementAndGet();
            loop.execute(r);
        }, i -> {
            handled.add(i);
            inBatch++;
        }, () -> {
            batchSizes.add(inBatch);
            inBatch = 0;
        });
    }

    @Test
    void shouldHandleEveryCompletionInOneBatchWithOneLoopTaskWhenTheyArriveWhileTheLoopIsBusy() throws Exception {
        CompletionQueue<Integer> q = queue();
        CountDownLatch busy = new CountDownLatch(1);
        loop.execute(() -> await(busy));
        for (int i = 0; i < 100; i++) {
            q.post(i);
        }
        busy.countDown();
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(done::countDown);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(loopTasks.get()).isEqualTo(1);
        assertThat(batchSizes).containsExactly(100);
        assertThat(handled).hasSize(100).isSorted();
    }

    @Test
    void shouldLoseNoCompletionWhenManyThreadsPostConcurrently() throws Exception {
        CompletionQueue<Integer> q = queue();
        int threads = 4;
        int each = 5_000;
        ExecutorService producers = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                int base = t * each;
                producers.execute(() -> {
                    await(start);
                    for (int i = 0; i < each; i++) {
                        q.post(base + i);
                    }
                });
            }
            start.countDown();
            producers.shutdown();
            assertThat(producers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            producers.shutdownNow();
        }
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(done::countDown);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(handled).hasSize(threads * each).doesNotHaveDuplicates();
        assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(threads * each);
        // At most one loop task per batch: never one per completion.
        assertThat(loopTasks.get()).isEqualTo(batchSizes.size());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
