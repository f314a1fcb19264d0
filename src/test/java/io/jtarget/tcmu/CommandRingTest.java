package io.jtarget.tcmu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ring protocol against an in-memory ring laid out and driven as the kernel does. */
class CommandRingTest {
    private static final int ALL_CAPS = TcmuAbi.FLAG_CAP_OOOC | TcmuAbi.FLAG_CAP_READ_LEN | TcmuAbi.FLAG_CAP_TMR;
    private static final byte[] READ10_8 = {0x28, 0, 0, 0, 0, 16, 0, 0, 8, 0};
    private static final byte[] WRITE16_1 = {(byte) 0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0};

    private final Arena arena = Arena.ofConfined();
    private final List<RingCommand> commands = new ArrayList<>();
    private final List<int[]> tmrs = new ArrayList<>();
    private final CommandRing.Consumer consumer = new CommandRing.Consumer() {
        @Override
        public void command(RingCommand command) {
            commands.add(command);
        }

        @Override
        public void taskManagement(int tmrType, int[] cmdIds) {
            int[] entry = Arrays.copyOf(new int[] {tmrType}, 1 + cmdIds.length);
            System.arraycopy(cmdIds, 0, entry, 1, cmdIds.length);
            tmrs.add(entry);
        }
    };

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void commandIsCopiedOutWithCdbAndIovecsAndItsCompletionReachesTheKernel() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        byte[] data = new byte[512];
        Arrays.fill(data, (byte) 0x5a);
        int id = kernel.queueCommand(WRITE16_1, 512, data);

        assertThat(ring.poll(consumer)).isEqualTo(1);
        RingCommand c = commands.getFirst();
        assertThat(c.cmdId()).isEqualTo(id);
        assertThat(c.cdb()).isEqualTo(WRITE16_1);
        assertThat(c.iovCount()).isEqualTo(1);
        assertThat(c.dataLength()).isEqualTo(512);
        assertThat(c.offset(0)).isGreaterThanOrEqualTo(kernel.dataOff);
        assertThat(kernel.map.get(ValueLayout.JAVA_BYTE, c.offset(0) + 511)).isEqualTo((byte) 0x5a);
        assertThat(ring.outstanding()).isEqualTo(1);

        ring.complete(id, 0, null, -1);
        assertThat(kernel.reap()).as("nothing is visible before the tail is published").isEmpty();
        assertThat(ring.publish()).isTrue();
        List<FakeKernelRing.Completion> done = kernel.reap();
        assertThat(done).extracting(FakeKernelRing.Completion::cmdId).containsExactly(id);
        assertThat(done.getFirst().status()).isZero();
        assertThat(kernel.tail()).isEqualTo(kernel.head());
        assertThat(ring.outstanding()).isZero();
    }

    @Test
    void entryThatDoesNotFitBeforeTheEndIsPaddedAndWrapsToTheStart() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 4096, 16, ALL_CAPS);
        int size = FakeKernelRing.commandSize(1, READ10_8.length);
        kernel.startAt(4096 - size + 8); // the next command does not fit before the end
        CommandRing ring = new CommandRing(kernel.map);
        int id = kernel.queueCommand(READ10_8, 4096, null);
        assertThat(kernel.head()).as("the command starts at 0 after the padding").isEqualTo(size);

        assertThat(ring.poll(consumer)).isEqualTo(1);
        assertThat(ring.padsSkipped()).isEqualTo(1);
        assertThat(commands).extracting(RingCommand::cmdId).containsExactly(id);

        ring.complete(id, 0, null, -1);
        assertThat(ring.publish()).isTrue();
        assertThat(kernel.reap()).extracting(FakeKernelRing.Completion::cmdId).containsExactly(id);
        assertThat(kernel.tail()).isEqualTo(size);
    }

    @Test
    void manyWrapsKeepHeadAndTailInStep() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 1000, 4, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        for (int round = 0; round < 50; round++) {
            int a = kernel.queueCommand(READ10_8, 4096, null);
            int b = kernel.queueCommand(WRITE16_1, 512, new byte[512]);
            assertThat(a).isPositive();
            assertThat(b).isPositive();
            commands.clear();
            assertThat(ring.poll(consumer)).isEqualTo(2);
            ring.complete(b, 0, null, -1);
            ring.complete(a, 0, null, -1);
            ring.publish();
            assertThat(kernel.reap()).extracting(FakeKernelRing.Completion::cmdId).containsExactlyInAnyOrder(a, b);
            assertThat(kernel.tail()).isEqualTo(kernel.head());
        }
        assertThat(ring.padsSkipped()).as("1000-byte ring, 2 entries of 128 bytes per round: it wrapped with padding").isPositive();
        assertThat(ring.broken()).isFalse();
    }

    @Test
    void completionsInAnyOrderGoIntoTheOldestSlotsWithTheirOwnIds() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        int a = kernel.queueCommand(READ10_8, 4096, null);
        int b = kernel.queueCommand(READ10_8, 4096, null);
        int c = kernel.queueCommand(READ10_8, 4096, null);
        ring.poll(consumer);
        assertThat(commands).extracting(RingCommand::cdb).allSatisfy(cdb -> assertThat(cdb).isEqualTo(READ10_8));

        ring.complete(c, 0, null, -1);
        ring.publish();
        assertThat(kernel.reap()).extracting(FakeKernelRing.Completion::cmdId).containsExactly(c);
        ring.complete(a, 0, null, -1);
        ring.complete(b, 0, null, -1);
        ring.publish();
        assertThat(kernel.reap()).extracting(FakeKernelRing.Completion::cmdId).containsExactly(a, b);
        assertThat(kernel.tail()).isEqualTo(kernel.head());
    }

    @Test
    void oneWakeUpDrainsEveryEntryAndOnePublicationCarriesEveryCompletion() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 64, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(kernel.queueCommand(READ10_8, 4096, null));
        }
        assertThat(ring.poll(consumer)).isEqualTo(20);
        assertThat(ring.poll(consumer)).as("nothing new").isZero();
        for (RingCommand c : commands) {
            ring.complete(c.cmdId(), 0, null, -1);
        }
        assertThat(ring.publish()).isTrue();
        assertThat(ring.publish()).as("nothing more to publish: no second kick").isFalse();
        assertThat(kernel.reap()).extracting(FakeKernelRing.Completion::cmdId).containsExactlyElementsOf(ids);
    }

    @Test
    void senseIsWrittenForCheckConditionAndCutAtNinetySixBytes() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        int a = kernel.queueCommand(READ10_8, 4096, null);
        int b = kernel.queueCommand(READ10_8, 4096, null);
        ring.poll(consumer);
        byte[] fixed = {0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x21, 0, 0, 0, 0, 0};
        byte[] tooLong = new byte[200];
        Arrays.fill(tooLong, (byte) 0x72);
        ring.complete(a, 0x02, fixed, -1);
        ring.complete(b, 0x02, tooLong, -1);
        ring.publish();
        List<FakeKernelRing.Completion> done = kernel.reap();
        assertThat(done.get(0).status()).isEqualTo(0x02);
        assertThat(Arrays.copyOf(done.get(0).sense(), fixed.length)).isEqualTo(fixed);
        assertThat(done.get(1).sense()).hasSize(96).containsOnly((byte) 0x72);
    }

    @Test
    void shortReadIsReportedWithReadLenOnlyWhenTheKernelOffersIt() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        int id = kernel.queueCommand(new byte[] {0x12, 0, 0, 0, (byte) 0xff, 0}, 255, null);
        ring.poll(consumer);
        ring.complete(id, 0, null, 36);
        ring.publish();
        assertThat(kernel.reap().getFirst().readLength()).isEqualTo(36);

        FakeKernelRing old = new FakeKernelRing(arena, 64 * 1024, 16, TcmuAbi.FLAG_CAP_OOOC);
        CommandRing oldRing = new CommandRing(old.map);
        int oldId = old.queueCommand(new byte[] {0x12, 0, 0, 0, (byte) 0xff, 0}, 255, null);
        oldRing.poll(consumer);
        oldRing.complete(oldId, 0, null, 36);
        oldRing.publish();
        assertThat(old.reap().getFirst().readLength()).isEqualTo(-1);
    }

    @Test
    void tmrNotificationIsDeliveredAndItsSlotReleasedWithoutAReply() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        int a = kernel.queueCommand(READ10_8, 4096, null);
        int b = kernel.queueCommand(READ10_8, 4096, null);
        kernel.queueTmr(TcmuAbi.TMR_LUN_RESET, a, b);
        int c = kernel.queueCommand(READ10_8, 4096, null);

        assertThat(ring.poll(consumer)).isEqualTo(4);
        assertThat(tmrs).hasSize(1);
        assertThat(tmrs.getFirst()).containsExactly(TcmuAbi.TMR_LUN_RESET, a, b);
        assertThat(ring.tmrsConsumed()).isEqualTo(1);

        ring.complete(a, 0x40, null, -1);
        ring.complete(b, 0x40, null, -1);
        ring.complete(c, 0, null, -1); // the slot after the TMR entry
        ring.publish();
        assertThat(kernel.reap()).extracting(FakeKernelRing.Completion::cmdId).containsExactly(a, b, c);
        assertThat(kernel.tail()).isEqualTo(kernel.head());
    }

    @Test
    void tmrAtTheTailIsSkippedWhenTheNextCompletionIsWritten() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        kernel.queueTmr(TcmuAbi.TMR_ABORT_TASK);
        int a = kernel.queueCommand(READ10_8, 4096, null);
        ring.poll(consumer);
        ring.complete(a, 0, null, -1);
        ring.publish();
        assertThat(kernel.reap()).extracting(FakeKernelRing.Completion::cmdId).containsExactly(a);
        assertThat(kernel.tail()).isEqualTo(kernel.head());
    }

    @Test
    void malformedEntryStopsTheRingInsteadOfReadingOutsideIt() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        int id = kernel.queueCommand(READ10_8, 4096, null);
        long entry = kernel.cmdrOff;
        // An iovec pointing into the command ring instead of the data area.
        kernel.map.set(ValueLayout.JAVA_LONG_UNALIGNED, entry + TcmuAbi.REQ_IOV, 0L);
        assertThat(ring.poll(consumer)).isZero();
        assertThat(ring.broken()).isTrue();
        assertThat(ring.brokenReason()).contains("command " + id).contains("outside the data area");
        assertThat(commands).isEmpty();

        FakeKernelRing zero = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing zeroRing = new CommandRing(zero.map);
        zero.queueCommand(READ10_8, 4096, null);
        zero.map.set(ValueLayout.JAVA_INT_UNALIGNED, zero.cmdrOff, TcmuAbi.OP_CMD); // length 0
        assertThat(zeroRing.poll(consumer)).isZero();
        assertThat(zeroRing.brokenReason()).contains("length 0");
    }

    @Test
    void completionWithoutAConsumedCommandIsAProgrammingError() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        CommandRing ring = new CommandRing(kernel.map);
        assertThatThrownBy(() -> ring.complete(1, 0, null, -1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void mailboxOfAnotherVersionIsRefused() {
        FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 16, ALL_CAPS);
        kernel.map.set(ValueLayout.JAVA_SHORT_UNALIGNED, TcmuAbi.MB_VERSION, (short) 1);
        assertThatThrownBy(() -> new CommandRing(kernel.map)).hasMessageContaining("version 1");
    }
}
