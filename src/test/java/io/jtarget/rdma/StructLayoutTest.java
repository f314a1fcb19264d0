package io.jtarget.rdma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every struct size, field offset and constant the FFM bindings rely on, compared with what gcc
 * says from the installed rdma-core headers (Debian: libibverbs-dev, librdmacm-dev).
 */
class StructLayoutTest {

    @TempDir
    Path dir;

    /** name → value as Java has it; the C program prints the same names. */
    private static Map<String, Long> javaSide() {
        Map<String, Long> m = new LinkedHashMap<>();
        struct(m, "ibv_sge", Structs.IBV_SGE, "addr", "length", "lkey");
        struct(m, "ibv_send_wr", Structs.IBV_SEND_WR, "wr_id", "next", "sg_list", "num_sge", "opcode",
                "send_flags", "imm_data");
        m.put("ibv_send_wr.wr.rdma.remote_addr", Structs.offset(Structs.IBV_SEND_WR, "remote_addr"));
        m.put("ibv_send_wr.wr.rdma.rkey", Structs.offset(Structs.IBV_SEND_WR, "rkey"));
        struct(m, "ibv_recv_wr", Structs.IBV_RECV_WR, "wr_id", "next", "sg_list", "num_sge");
        struct(m, "ibv_wc", Structs.IBV_WC, "wr_id", "status", "opcode", "vendor_err", "byte_len", "imm_data",
                "qp_num", "src_qp", "wc_flags");
        struct(m, "ibv_qp_init_attr", Structs.IBV_QP_INIT_ATTR, "qp_context", "send_cq", "recv_cq", "srq",
                "qp_type", "sq_sig_all");
        for (String cap : new String[] {"max_send_wr", "max_recv_wr", "max_send_sge", "max_recv_sge",
            "max_inline_data"}) {
            m.put("ibv_qp_init_attr.cap." + cap, Structs.offset(Structs.IBV_QP_INIT_ATTR, cap));
        }
        struct(m, "rdma_conn_param", Structs.RDMA_CONN_PARAM, "private_data", "private_data_len",
                "responder_resources", "initiator_depth", "flow_control", "retry_count", "rnr_retry_count", "srq",
                "qp_num");
        struct(m, "sockaddr_in", Structs.SOCKADDR_IN, "sin_family", "sin_port", "sin_addr");
        struct(m, "sockaddr_in6", Structs.SOCKADDR_IN6, "sin6_family", "sin6_port", "sin6_flowinfo", "sin6_addr",
                "sin6_scope_id");
        m.put("ibv_context.device", Structs.CONTEXT_DEVICE);
        m.put("ibv_context.ops.poll_cq", Structs.CONTEXT_OPS_POLL_CQ);
        m.put("ibv_context.ops.req_notify_cq", Structs.CONTEXT_OPS_REQ_NOTIFY_CQ);
        m.put("ibv_context.ops.post_send", Structs.CONTEXT_OPS_POST_SEND);
        m.put("ibv_context.ops.post_recv", Structs.CONTEXT_OPS_POST_RECV);
        m.put("ibv_qp.context", Structs.QP_CONTEXT);
        m.put("ibv_qp.qp_num", Structs.QP_QP_NUM);
        m.put("ibv_cq.context", Structs.CQ_CONTEXT);
        m.put("ibv_comp_channel.fd", Structs.COMP_CHANNEL_FD);
        m.put("ibv_mr.lkey", Structs.MR_LKEY);
        m.put("ibv_mr.rkey", Structs.MR_RKEY);
        m.put("rdma_event_channel.fd", Structs.EVENT_CHANNEL_FD);
        m.put("rdma_cm_id.verbs", Structs.CM_ID_VERBS);
        m.put("rdma_cm_id.qp", Structs.CM_ID_QP);
        m.put("rdma_cm_id.route.addr.src_addr", Structs.CM_ID_SRC_ADDR);
        m.put("rdma_cm_id.route.addr.dst_addr", Structs.CM_ID_DST_ADDR);
        m.put("rdma_cm_event.id", Structs.CM_EVENT_ID);
        m.put("rdma_cm_event.listen_id", Structs.CM_EVENT_LISTEN_ID);
        m.put("rdma_cm_event.event", Structs.CM_EVENT_EVENT);
        m.put("rdma_cm_event.status", Structs.CM_EVENT_STATUS);
        m.put("rdma_cm_event.param.conn", Structs.CM_EVENT_PARAM_CONN);
        // constants
        m.put("RDMA_PS_TCP", (long) RdmaNative.RDMA_PS_TCP);
        m.put("IBV_QPT_RC", (long) RdmaNative.IBV_QPT_RC);
        m.put("IBV_WR_SEND", (long) SendChain.IBV_WR_SEND);
        m.put("IBV_WR_RDMA_WRITE", (long) SendChain.IBV_WR_RDMA_WRITE);
        m.put("IBV_WR_RDMA_READ", (long) SendChain.IBV_WR_RDMA_READ);
        m.put("IBV_SEND_FENCE", (long) SendChain.FENCE);
        m.put("IBV_SEND_SIGNALED", (long) SendChain.SIGNALED);
        m.put("IBV_SEND_SOLICITED", (long) SendChain.SOLICITED);
        m.put("IBV_SEND_INLINE", (long) SendChain.INLINE);
        m.put("IBV_ACCESS_LOCAL_WRITE", (long) RdmaBufferPool.LOCAL_WRITE);
        m.put("IBV_ACCESS_REMOTE_WRITE", (long) RdmaBufferPool.REMOTE_WRITE);
        m.put("IBV_ACCESS_REMOTE_READ", (long) RdmaBufferPool.REMOTE_READ);
        m.put("IBV_WC_SUCCESS", 0L);
        m.put("IBV_WC_WR_FLUSH_ERR", 5L);
        m.put("RDMA_CM_EVENT_ADDR_RESOLVED", (long) CmChannel.ADDR_RESOLVED);
        m.put("RDMA_CM_EVENT_ROUTE_RESOLVED", (long) CmChannel.ROUTE_RESOLVED);
        m.put("RDMA_CM_EVENT_CONNECT_REQUEST", (long) CmChannel.CONNECT_REQUEST);
        m.put("RDMA_CM_EVENT_CONNECT_RESPONSE", (long) CmChannel.CONNECT_RESPONSE);
        m.put("RDMA_CM_EVENT_CONNECT_ERROR", (long) CmChannel.CONNECT_ERROR);
        m.put("RDMA_CM_EVENT_UNREACHABLE", (long) CmChannel.UNREACHABLE);
        m.put("RDMA_CM_EVENT_REJECTED", (long) CmChannel.REJECTED);
        m.put("RDMA_CM_EVENT_ESTABLISHED", (long) CmChannel.ESTABLISHED);
        m.put("RDMA_CM_EVENT_DISCONNECTED", (long) CmChannel.DISCONNECTED);
        m.put("RDMA_CM_EVENT_DEVICE_REMOVAL", (long) CmChannel.DEVICE_REMOVAL);
        m.put("RDMA_CM_EVENT_TIMEWAIT_EXIT", (long) CmChannel.TIMEWAIT_EXIT);
        m.put("AF_INET", (long) RdmaNative.AF_INET);
        m.put("AF_INET6", (long) RdmaNative.AF_INET6);
        m.put("EAGAIN", (long) RdmaNative.EAGAIN);
        m.put("ENODEV", (long) RdmaNative.ENODEV);
        m.put("ENOENT", (long) RdmaNative.ENOENT);
        m.put("EADDRNOTAVAIL", (long) RdmaNative.EADDRNOTAVAIL);
        m.put("F_GETFL", (long) RdmaNative.F_GETFL);
        m.put("F_SETFL", (long) RdmaNative.F_SETFL);
        m.put("O_NONBLOCK", (long) RdmaNative.O_NONBLOCK);
        return m;
    }

    private static void struct(Map<String, Long> m, String name, MemoryLayout layout, String... fields) {
        m.put("sizeof " + name, layout.byteSize());
        for (String f : fields) {
            m.put(name + "." + f, Structs.offset(layout, f));
        }
    }

    /** The C program: one "name value" line per entry, with the same names. */
    private static String program(Map<String, Long> names) {
        StringBuilder c = new StringBuilder("""
                #include <stddef.h>
                #include <stdio.h>
                #include <errno.h>
                #include <fcntl.h>
                #include <netinet/in.h>
                #include <infiniband/verbs.h>
                #include <rdma/rdma_cma.h>
                #define P(name, value) printf("%s %ld\\n", name, (long)(value))
                int main(void) {
                """);
        for (String name : names.keySet()) {
            String expr;
            if (name.startsWith("sizeof ")) {
                expr = "sizeof(struct " + name.substring(7) + ")";
            } else if (name.contains(".")) {
                int dot = name.indexOf('.');
                expr = "offsetof(struct " + name.substring(0, dot) + ", " + name.substring(dot + 1) + ")";
            } else {
                expr = name;
            }
            c.append("    P(\"").append(name).append("\", ").append(expr).append(");\n");
        }
        return c.append("    return 0;\n}\n").toString();
    }

    @Test
    void shouldMatchTheInstalledRdmaCoreHeaders() throws Exception {
        if (!Files.exists(Path.of("/usr/include/infiniband/verbs.h"))
                || !Files.exists(Path.of("/usr/include/rdma/rdma_cma.h"))) {
            fail("rdma-core headers missing: install the Debian packages libibverbs-dev and librdmacm-dev"
                    + " (apt-get install libibverbs-dev librdmacm-dev); ./scripts/test installs them");
        }
        Map<String, Long> expected = javaSide();
        Path source = dir.resolve("layouts.c");
        Files.writeString(source, program(expected));
        Path binary = dir.resolve("layouts");
        run("gcc", "-o", binary.toString(), source.toString());
        String out = run(binary.toString());
        Map<String, Long> headers = new TreeMap<>();
        for (String line : out.split("\n")) {
            int space = line.lastIndexOf(' ');
            headers.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }
        assertThat(headers).hasSize(expected.size());
        assertThat(new TreeMap<>(expected)).isEqualTo(headers);
    }

    private String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command[0] + " timed out");
        }
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " failed (is gcc installed? Debian: gcc):\n" + out);
        }
        return out;
    }
}
