package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The native work requests a chain writes (what {@code ibv_post_send} will read), without a device. */
class SendChainTest {

    private static long field(String name) {
        return Structs.offset(Structs.IBV_SEND_WR, name);
    }

    @Test
    void shouldLinkWorkRequestsAndGiveEachItsOwnScatterGatherEntries() {
        try (Arena arena = Arena.ofConfined()) {
            SendChain chain = new SendChain(null, arena, 4, 3);
            chain.reset().add(0x1000, 100, 7).add(0x2000, 200, 8).rdmaWrite(0xabcdef00L, 0x55, 11, 0)
                    .add(0x3000, 48, 9).send(12, SendChain.SIGNALED)
                    .rdmaRead(0x77, 0x66, 13, SendChain.SIGNALED | SendChain.FENCE);
            assertThat(chain.size()).isEqualTo(3);

            MemorySegment wrs = chain.workRequests();
            long size = Structs.IBV_SEND_WR.byteSize();
            MemorySegment write = wrs.asSlice(0, size);
            MemorySegment send = wrs.asSlice(size, size);
            MemorySegment read = wrs.asSlice(2 * size, size);

            assertThat(write.get(ADDRESS, field("next")).address()).isEqualTo(send.address());
            assertThat(send.get(ADDRESS, field("next")).address()).isEqualTo(read.address());
            assertThat(read.get(ADDRESS, field("next")).address()).isZero();

            assertThat(write.get(JAVA_INT, field("opcode"))).isEqualTo(SendChain.IBV_WR_RDMA_WRITE);
            assertThat(write.get(JAVA_INT, field("num_sge"))).isEqualTo(2);
            assertThat(write.get(JAVA_LONG, field("remote_addr"))).isEqualTo(0xabcdef00L);
            assertThat(write.get(JAVA_INT, field("rkey"))).isEqualTo(0x55);
            MemorySegment sges = write.get(ADDRESS, field("sg_list")).reinterpret(3 * 16);
            assertThat(sges.get(JAVA_LONG, 0)).isEqualTo(0x1000);
            assertThat(sges.get(JAVA_INT, 8)).isEqualTo(100);
            assertThat(sges.get(JAVA_INT, 12)).isEqualTo(7);
            assertThat(sges.get(JAVA_LONG, 16)).isEqualTo(0x2000);
            assertThat(sges.get(JAVA_INT, 28)).isEqualTo(8);

            assertThat(send.get(JAVA_INT, field("opcode"))).isEqualTo(SendChain.IBV_WR_SEND);
            assertThat(send.get(JAVA_INT, field("num_sge"))).isEqualTo(1);
            MemorySegment sendSge = send.get(ADDRESS, field("sg_list")).reinterpret(16);
            assertThat(sendSge.get(JAVA_LONG, 0)).isEqualTo(0x3000);
            assertThat(sendSge.get(JAVA_INT, 8)).isEqualTo(48);

            // An operation without SGEs (a zero-length read) has no list at all.
            assertThat(read.get(JAVA_INT, field("opcode"))).isEqualTo(SendChain.IBV_WR_RDMA_READ);
            assertThat(read.get(JAVA_INT, field("num_sge"))).isZero();
            assertThat(read.get(ADDRESS, field("sg_list")).address()).isZero();
        }
    }

    @Test
    void shouldRefuseMoreEntriesThanTheQueuePairTakes() {
        try (Arena arena = Arena.ofConfined()) {
            SendChain chain = new SendChain(null, arena, 2, 1);
            chain.reset().add(0x1000, 1, 1);
            assertThatThrownBy(() -> chain.add(0x2000, 1, 1)).isInstanceOf(IllegalStateException.class);
            chain.reset().send(1, 0).send(2, 0);
            assertThatThrownBy(() -> chain.send(3, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> chain.reset().send(Long.MIN_VALUE, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

}
