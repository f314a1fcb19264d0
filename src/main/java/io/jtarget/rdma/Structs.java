package io.jtarget.rdma;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

/**
 * The rdma-core structs this package reads and writes, as FFM layouts of Debian's x86-64/arm64
 * headers ({@code <infiniband/verbs.h>}, {@code <rdma/rdma_cma.h>}, {@code <netinet/in.h>}).
 * Only the fields used are named; the rest is padding. {@code StructLayoutTest} compiles a C
 * program against the installed headers and checks every size and offset here.
 */
final class Structs {
    private Structs() {}

    /** {@code struct ibv_sge}. */
    static final StructLayout IBV_SGE = structLayout(
            JAVA_LONG.withName("addr"), JAVA_INT.withName("length"), JAVA_INT.withName("lkey"))
            .withName("ibv_sge");

    /** {@code struct ibv_send_wr}: the {@code wr} union's {@code rdma} member, the rest padded. */
    static final StructLayout IBV_SEND_WR = structLayout(
            JAVA_LONG.withName("wr_id"),
            ADDRESS.withName("next"),
            ADDRESS.withName("sg_list"),
            JAVA_INT.withName("num_sge"),
            JAVA_INT.withName("opcode"),
            JAVA_INT.withName("send_flags"),
            JAVA_INT.withName("imm_data"),
            JAVA_LONG.withName("remote_addr"), // wr.rdma.remote_addr
            JAVA_INT.withName("rkey"), // wr.rdma.rkey
            paddingLayout(128 - 52))
            .withName("ibv_send_wr");

    /** {@code struct ibv_recv_wr}. */
    static final StructLayout IBV_RECV_WR = structLayout(
            JAVA_LONG.withName("wr_id"),
            ADDRESS.withName("next"),
            ADDRESS.withName("sg_list"),
            JAVA_INT.withName("num_sge"),
            paddingLayout(4))
            .withName("ibv_recv_wr");

    /** {@code struct ibv_wc}. */
    static final StructLayout IBV_WC = structLayout(
            JAVA_LONG.withName("wr_id"),
            JAVA_INT.withName("status"),
            JAVA_INT.withName("opcode"),
            JAVA_INT.withName("vendor_err"),
            JAVA_INT.withName("byte_len"),
            JAVA_INT.withName("imm_data"),
            JAVA_INT.withName("qp_num"),
            JAVA_INT.withName("src_qp"),
            JAVA_INT.withName("wc_flags"),
            paddingLayout(8))
            .withName("ibv_wc");

    /** {@code struct ibv_qp_init_attr} with its {@code struct ibv_qp_cap}. */
    static final StructLayout IBV_QP_INIT_ATTR = structLayout(
            ADDRESS.withName("qp_context"),
            ADDRESS.withName("send_cq"),
            ADDRESS.withName("recv_cq"),
            ADDRESS.withName("srq"),
            JAVA_INT.withName("max_send_wr"), // cap.max_send_wr
            JAVA_INT.withName("max_recv_wr"),
            JAVA_INT.withName("max_send_sge"),
            JAVA_INT.withName("max_recv_sge"),
            JAVA_INT.withName("max_inline_data"),
            JAVA_INT.withName("qp_type"),
            JAVA_INT.withName("sq_sig_all"),
            paddingLayout(4))
            .withName("ibv_qp_init_attr");

    /** {@code struct rdma_conn_param}. */
    static final StructLayout RDMA_CONN_PARAM = structLayout(
            ADDRESS.withName("private_data"),
            JAVA_BYTE.withName("private_data_len"),
            JAVA_BYTE.withName("responder_resources"),
            JAVA_BYTE.withName("initiator_depth"),
            JAVA_BYTE.withName("flow_control"),
            JAVA_BYTE.withName("retry_count"),
            JAVA_BYTE.withName("rnr_retry_count"),
            JAVA_BYTE.withName("srq"),
            paddingLayout(1),
            JAVA_INT.withName("qp_num"),
            paddingLayout(4))
            .withName("rdma_conn_param");

    /** {@code struct sockaddr_in6}, also large enough for a {@code struct sockaddr_in}. */
    static final StructLayout SOCKADDR_IN6 = structLayout(
            JAVA_SHORT.withName("sin6_family"),
            JAVA_SHORT.withName("sin6_port"),
            JAVA_INT.withName("sin6_flowinfo"),
            sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
            JAVA_INT.withName("sin6_scope_id"))
            .withName("sockaddr_in6");

    /** {@code struct sockaddr_in}. */
    static final StructLayout SOCKADDR_IN = structLayout(
            JAVA_SHORT.withName("sin_family"),
            JAVA_SHORT.withName("sin_port"),
            sequenceLayout(4, JAVA_BYTE).withName("sin_addr"),
            paddingLayout(8))
            .withName("sockaddr_in");

    // Offsets into structs the libraries allocate and we only read.

    /** {@code struct ibv_context}: {@code ops.poll_cq}, {@code ops.req_notify_cq}, {@code ops.post_send}, {@code ops.post_recv}. */
    static final long CONTEXT_OPS_POLL_CQ = 96;
    static final long CONTEXT_OPS_REQ_NOTIFY_CQ = 104;
    static final long CONTEXT_OPS_POST_SEND = 208;
    static final long CONTEXT_OPS_POST_RECV = 216;
    /** {@code struct ibv_context.device} (then {@code ibv_get_device_name}). */
    static final long CONTEXT_DEVICE = 0;
    /** {@code struct ibv_qp.context}, {@code .qp_num}. */
    static final long QP_CONTEXT = 0;
    static final long QP_QP_NUM = 52;
    /** {@code struct ibv_cq.context}. */
    static final long CQ_CONTEXT = 0;
    /** {@code struct ibv_comp_channel.fd}. */
    static final long COMP_CHANNEL_FD = 8;
    /** {@code struct ibv_mr}: {@code .lkey}, {@code .rkey}. */
    static final long MR_LKEY = 36;
    static final long MR_RKEY = 40;
    /** {@code struct rdma_event_channel.fd}. */
    static final long EVENT_CHANNEL_FD = 0;
    /** {@code struct rdma_cm_id}: {@code .verbs}, {@code .qp}, {@code .route.addr.src_addr}, {@code .route.addr.dst_addr}. */
    static final long CM_ID_VERBS = 0;
    static final long CM_ID_QP = 24;
    static final long CM_ID_SRC_ADDR = 32;
    static final long CM_ID_DST_ADDR = 160;
    /** {@code struct rdma_cm_event}: {@code .id}, {@code .listen_id}, {@code .event}, {@code .status}, {@code .param.conn}. */
    static final long CM_EVENT_ID = 0;
    static final long CM_EVENT_LISTEN_ID = 8;
    static final long CM_EVENT_EVENT = 16;
    static final long CM_EVENT_STATUS = 20;
    static final long CM_EVENT_PARAM_CONN = 24;

    static long offset(MemoryLayout layout, String field) {
        return layout.byteOffset(PathElement.groupElement(field));
    }
}
