package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FairQueueExecutorTest {

    private final ExecutorService single = Executors.newSingleThreadExecutor();
    private final List<String> ran = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        single.shutdownNow();
        assertThat(single.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shouldServeEveryNexusInTurnWhenOneFloodsTheQueue() throws Exception {
        FairQueueExecutor fair = new FairQueueExecutor(single, 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1 + 100 + 3 + 3);
        fair.execute("A", () -> {
            awaitQuietly(release);
            record("A-blocker", finished);
        }, failOnReject());
        for (int i = 0; i < 100; i++) {
            String name = "A" + i;
            fair.execute("A", () -> record(name, finished), failOnReject());
        }
        for (int i = 0; i < 3; i++) {
            String b = "B" + i;
            String c = "C" + i;
            fair.execute("B", () -> record(b, finished), failOnReject());
            fair.execute("C", () -> record(c, finished), failOnReject());
        }
        assertThat(fair.queued()).isEqualTo(106);

        release.countDown();
        assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(ran.subList(0, 10))
                .containsExactly("A-blocker", "A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2", "C2");
        assertThat(ran.subList(10, ran.size())).containsExactlyElementsOf(names("A", 3, 100));
        assertThat(fair.queued()).isZero();
    }

    @Test
    void shouldKeepSubmissionOrderWithinOneNexus() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            FairQueueExecutor fair = new FairQueueExecutor(pool, 1);
            CountDownLatch finished = new CountDownLatch(500);
            for (int i = 0; i < 500; i++) {
                String name = "A" + i;
                fair.execute("A", () -> record(name, finished), failOnReject());
            }
            assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ran).containsExactlyElementsOf(names("A", 0, 500));
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void shouldNeverOccupyMoreThanMaxInFlightPoolThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            FairQueueExecutor fair = new FairQueueExecutor(pool, 3);
            AtomicInteger running = new AtomicInteger();
            AtomicInteger peak = new AtomicInteger();
            CountDownLatch finished = new CountDownLatch(200);
            for (int i = 0; i < 200; i++) {
                fair.execute("N" + (i % 5), () -> {
                    peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                    sleepQuietly();
                    running.decrementAndGet();
                    finished.countDown();
                }, failOnReject());
            }
            assertThat(finished.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(peak.get()).isBetween(2, 3);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void shouldRunQueuedJobsOnTheSameThreadInBatchesWhenWorkIsWaiting() throws Exception {
        java.util.concurrent.atomic.AtomicInteger handedToPool = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor counting = r -> {
            handedToPool.incrementAndGet();
            single.execute(r);
        };
        FairQueueExecutor fair = new FairQueueExecutor(counting, 1);
        CountDownLatch gate = new CountDownLatch(1);
        int jobs = 2 * FairQueueExecutor.BATCH + 1;
        CountDownLatch finished = new CountDownLatch(jobs);
        java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        fair.execute("A", () -> awaitQuietly(gate), failOnReject());
        for (int i = 0; i < jobs; i++) {
            String name = (i % 2 == 0 ? "A" : "B") + i;
            fair.execute(name.substring(0, 1), () -> {
                threads.add(Thread.currentThread());
                record(name, finished);
            }, failOnReject());
        }
        gate.countDown();

        assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
        // One hand-off per batch of BATCH jobs, not one per job; lanes still alternate.
        assertThat(handedToPool.get()).isEqualTo((jobs + 1 + FairQueueExecutor.BATCH - 1) / FairQueueExecutor.BATCH);
        assertThat(threads).hasSize(1);
        assertThat(ran).startsWith("A0", "B1", "A2", "B3");
    }

    @Test
    void shouldKeepServingWhenAJobThrows() throws Exception {
        FairQueueExecutor fair = new FairQueueExecutor(single, 1);
        CountDownLatch finished = new CountDownLatch(1);
        fair.execute(null, () -> {
            throw new IllegalStateException("boom (expected by the test)");
        }, failOnReject());
        fair.execute(null, () -> record("after", finished), failOnReject());

        assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("after");
    }

    @Test
    void shouldRejectEveryJobWhenPoolIsShutDown() {
        ExecutorService dead = Executors.newSingleThreadExecutor();
        dead.shutdown();
        FairQueueExecutor fair = new FairQueueExecutor(dead, 2);
        List<Throwable> rejections = Collections.synchronizedList(new ArrayList<>());

        for (int i = 0; i < 5; i++) {
            fair.execute("A", () -> ran.add("ran"), rejections::add);
        }

        assertThat(rejections).hasSize(5).allMatch(RejectedExecutionException.class::isInstance);
        assertThat(ran).isEmpty();
        assertThat(fair.queued()).isZero();
    }

    @Test
    void shouldRejectMaxInFlightWhenNotPositive() {
        assertThatThrownBy(() -> new FairQueueExecutor(single, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldUseEveryPoolThreadWhenBuiltOverAThreadPool() {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            assertThat(FairQueueExecutor.over(pool).maxInFlight()).isEqualTo(6);
        } finally {
            pool.shutdown();
        }
    }

    private void record(String name, CountDownLatch finished) {
        ran.add(name);
        finished.countDown();
    }

    private static List<String> names(String prefix, int from, int to) {
        List<String> names = new ArrayList<>();
        for (int i = from; i < to; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    private static java.util.function.Consumer<Throwable> failOnReject() {
        return t -> {
            throw new AssertionError("unexpected rejection", t);
        };
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
