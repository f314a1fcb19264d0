package io.jtarget.rdma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Without rdma-core or without an RDMA device, opening an RDMA endpoint fails with one line that
 * says what to install or create. (With a device, binding to an address no device has fails the
 * same way; the guest's rdma-verbs scenario checks that on soft-RoCE.)
 */
class RdmaUnavailableTest {
    private static EventLoopGroup loops;

    @BeforeAll
    static void start() {
        loops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        loops.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static boolean anyRdmaDevice() throws IOException {
        Path sys = Path.of("/sys/class/infiniband");
        if (!Files.isDirectory(sys)) {
            return false;
        }
        try (Stream<Path> s = Files.list(sys)) {
            return s.findAny().isPresent();
        }
    }

    @Test
    void missingLibrariesNameThePackages() {
        assertThatThrownBy(() -> RdmaNative.load("libibverbs-not-here.so.1", RdmaNative.RDMACM))
                .isInstanceOf(RdmaUnavailableException.class)
                .hasMessageStartingWith("RDMA libraries not found")
                .hasMessageContaining("libibverbs1")
                .hasMessageContaining("rdma link add rxe0 type rxe netdev eth0")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void listenerWithoutAnyDeviceSaysWhatRdmaNeeds() throws Exception {
        if (anyRdmaDevice()) {
            // A machine with RDMA: an address that is not on any RDMA interface (TEST-NET-1, RFC 5737).
            assertThatThrownBy(() -> RdmaListener.open(new InetSocketAddress("192.0.2.1", 0), loops, r -> r.reject(null)))
                    .isInstanceOf(RdmaUnavailableException.class)
                    .hasMessageStartingWith("no RDMA device for 192.0.2.1");
            return;
        }
        assertThatThrownBy(() -> RdmaListener.open(new InetSocketAddress("127.0.0.1", 0), loops, r -> r.reject(null)))
                .isInstanceOf(RdmaUnavailableException.class)
                .hasMessageContaining("rdma link add rxe0 type rxe netdev eth0")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"))
                .satisfies(e -> assertThat(e.getMessage()).matches("(no RDMA device|RDMA libraries not found).*"));
        assertThatThrownBy(() -> RdmaConnector.open(loops))
                .isInstanceOf(RdmaUnavailableException.class)
                .hasMessageContaining("rdma-core (Debian: rdma-core, ibverbs-providers)");
    }
}
