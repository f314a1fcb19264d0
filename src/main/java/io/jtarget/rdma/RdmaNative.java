package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * rdma-core's {@code libibverbs.so.1} and {@code librdmacm.so.1} through the FFM API: every call
 * this package makes, each failing call turned into an {@link RdmaException} naming the function
 * and {@code errno}.
 *
 * <p>{@code ibv_post_send}, {@code ibv_post_recv}, {@code ibv_poll_cq} and {@code ibv_req_notify_cq}
 * are static inline functions in {@code verbs.h} that call through {@code context->ops}; they have
 * no symbol. {@link #opsFunction} reads the provider's function pointer from the
 * {@code struct ibv_context} and the {@code *Op} handles call it by address.
 *
 * <p>The libraries are loaded once, on first use ({@link #get}); when they are missing every
 * caller gets the same {@link RdmaUnavailableException}.
 */
final class RdmaNative {
    static final String IBVERBS = "libibverbs.so.1";
    static final String RDMACM = "librdmacm.so.1";

    // <rdma/rdma_cma.h>, <infiniband/verbs.h>, <fcntl.h>, <errno.h>, <sys/socket.h>
    static final int RDMA_PS_TCP = 0x0106;
    static final int IBV_QPT_RC = 2;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int EAGAIN = 11;
    static final int ENODEV = 19;
    static final int EADDRNOTAVAIL = 99;
    static final int ENOENT = 2;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int O_NONBLOCK = 0x800;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static volatile RdmaNative instance;
    private static RdmaUnavailableException unavailable;

    private final Linker linker = Linker.nativeLinker();
    /** Where this thread's {@code errno} is captured; one per thread, never freed (threads are few and fixed). */
    private final ThreadLocal<MemorySegment> callState =
            ThreadLocal.withInitial(() -> Arena.global().allocate(CALL_STATE));

    // librdmacm
    final MethodHandle rdmaCreateEventChannel;
    final MethodHandle rdmaDestroyEventChannel;
    final MethodHandle rdmaCreateId;
    final MethodHandle rdmaDestroyId;
    final MethodHandle rdmaBindAddr;
    final MethodHandle rdmaListen;
    final MethodHandle rdmaGetCmEvent;
    final MethodHandle rdmaAckCmEvent;
    final MethodHandle rdmaAccept;
    final MethodHandle rdmaReject;
    final MethodHandle rdmaDisconnect;
    final MethodHandle rdmaCreateQp;
    final MethodHandle rdmaDestroyQp;
    final MethodHandle rdmaResolveAddr;
    final MethodHandle rdmaResolveRoute;
    final MethodHandle rdmaConnect;
    final MethodHandle rdmaEventStr;
    // libibverbs
    final MethodHandle ibvGetDeviceList;
    final MethodHandle ibvFreeDeviceList;
    final MethodHandle ibvGetDeviceName;
    final MethodHandle ibvAllocPd;
    final MethodHandle ibvDeallocPd;
    final MethodHandle ibvRegMr;
    final MethodHandle ibvDeregMr;
    final MethodHandle ibvCreateCompChannel;
    final MethodHandle ibvDestroyCompChannel;
    final MethodHandle ibvCreateCq;
    final MethodHandle ibvDestroyCq;
    final MethodHandle ibvGetCqEvent;
    final MethodHandle ibvAckCqEvents;
    final MethodHandle ibvWcStatusStr;
    // the provider's functions in struct ibv_context_ops, called by address
    final MethodHandle postSendOp;
    final MethodHandle postRecvOp;
    final MethodHandle pollCqOp;
    final MethodHandle reqNotifyCqOp;
    // libc
    final MethodHandle fcntl;
    final MethodHandle strerror;

    private RdmaNative(String ibverbsName, String rdmacmName) {
        // librdmacm links libibverbs itself; loading verbs first names the missing package precisely.
        SymbolLookup verbs = SymbolLookup.libraryLookup(ibverbsName, Arena.global());
        SymbolLookup cm = SymbolLookup.libraryLookup(rdmacmName, Arena.global());
        SymbolLookup libc = linker.defaultLookup();

        rdmaCreateEventChannel = errno(cm, "rdma_create_event_channel", FunctionDescriptor.of(ADDRESS));
        rdmaDestroyEventChannel = plain(cm, "rdma_destroy_event_channel", FunctionDescriptor.ofVoid(ADDRESS));
        rdmaCreateId = errno(cm, "rdma_create_id", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        rdmaDestroyId = errno(cm, "rdma_destroy_id", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        rdmaBindAddr = errno(cm, "rdma_bind_addr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        rdmaListen = errno(cm, "rdma_listen", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        rdmaGetCmEvent = errno(cm, "rdma_get_cm_event", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        rdmaAckCmEvent = errno(cm, "rdma_ack_cm_event", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        rdmaAccept = errno(cm, "rdma_accept", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        rdmaReject = errno(cm, "rdma_reject", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_BYTE));
        rdmaDisconnect = errno(cm, "rdma_disconnect", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        rdmaCreateQp = errno(cm, "rdma_create_qp", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        rdmaDestroyQp = plain(cm, "rdma_destroy_qp", FunctionDescriptor.ofVoid(ADDRESS));
        rdmaResolveAddr = errno(cm, "rdma_resolve_addr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        rdmaResolveRoute = errno(cm, "rdma_resolve_route", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        rdmaConnect = errno(cm, "rdma_connect", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        rdmaEventStr = plain(cm, "rdma_event_str", FunctionDescriptor.of(ADDRESS, JAVA_INT));

        ibvGetDeviceList = errno(verbs, "ibv_get_device_list", FunctionDescriptor.of(ADDRESS, ADDRESS));
        ibvFreeDeviceList = plain(verbs, "ibv_free_device_list", FunctionDescriptor.ofVoid(ADDRESS));
        ibvGetDeviceName = plain(verbs, "ibv_get_device_name", FunctionDescriptor.of(ADDRESS, ADDRESS));
        ibvAllocPd = errno(verbs, "ibv_alloc_pd", FunctionDescriptor.of(ADDRESS, ADDRESS));
        ibvDeallocPd = plain(verbs, "ibv_dealloc_pd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ibvRegMr = errno(verbs, "ibv_reg_mr", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
        ibvDeregMr = plain(verbs, "ibv_dereg_mr", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ibvCreateCompChannel = errno(verbs, "ibv_create_comp_channel", FunctionDescriptor.of(ADDRESS, ADDRESS));
        ibvDestroyCompChannel = plain(verbs, "ibv_destroy_comp_channel", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ibvCreateCq = errno(verbs, "ibv_create_cq",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        ibvDestroyCq = plain(verbs, "ibv_destroy_cq", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ibvGetCqEvent = errno(verbs, "ibv_get_cq_event", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        ibvAckCqEvents = plain(verbs, "ibv_ack_cq_events", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        ibvWcStatusStr = plain(verbs, "ibv_wc_status_str", FunctionDescriptor.of(ADDRESS, JAVA_INT));

        postSendOp = linker.downcallHandle(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        postRecvOp = linker.downcallHandle(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        pollCqOp = linker.downcallHandle(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        reqNotifyCqOp = linker.downcallHandle(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

        fcntl = errno(libc, "fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        strerror = plain(libc, "strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /**
     * The bindings, loading the libraries on first use.
     *
     * @throws RdmaUnavailableException when rdma-core's libraries are not installed (or native
     *     access is denied)
     */
    static RdmaNative get() throws RdmaUnavailableException {
        RdmaNative n = instance;
        if (n != null) {
            return n;
        }
        synchronized (RdmaNative.class) {
            if (instance == null && unavailable == null) {
                try {
                    instance = load(IBVERBS, RDMACM);
                } catch (RdmaUnavailableException e) {
                    unavailable = e;
                }
            }
            if (instance != null) {
                return instance;
            }
            throw new RdmaUnavailableException(unavailable.getMessage(), unavailable.getCause());
        }
    }

    /** Loads the named libraries (tests pass names that do not exist to see the failure). */
    static RdmaNative load(String ibverbsName, String rdmacmName) throws RdmaUnavailableException {
        try {
            return new RdmaNative(ibverbsName, rdmacmName);
        } catch (IllegalArgumentException | UnsatisfiedLinkError | IllegalCallerException e) {
            throw new RdmaUnavailableException(RdmaUnavailableException.NO_LIBRARIES + " (" + e.getMessage() + ")", e);
        } catch (java.util.NoSuchElementException e) {
            throw new RdmaUnavailableException(RdmaUnavailableException.NO_LIBRARIES
                    + " (rdma-core too old: " + e.getMessage() + ")", e);
        }
    }

    private MethodHandle errno(SymbolLookup lookup, String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        return linker.downcallHandle(lookup.findOrThrow(name), fd, options);
    }

    private MethodHandle plain(SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return linker.downcallHandle(lookup.findOrThrow(name), fd);
    }

    /** The segment the calling thread passes as first argument of an {@code errno} handle. */
    MemorySegment state() {
        return callState.get();
    }

    /** {@code errno} of this thread's last call through an {@code errno} handle. */
    int lastErrno() {
        return (int) ERRNO.get(callState.get(), 0L);
    }

    /** An exception for {@code function} failing with this thread's captured {@code errno}. */
    RdmaException failure(String function) {
        return failure(function, lastErrno());
    }

    RdmaException failure(String function, int errno) {
        return new RdmaException(function + ": " + errorText(errno), errno);
    }

    String errorText(int errno) {
        try {
            MemorySegment s = (MemorySegment) strerror.invokeExact(errno);
            return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    String eventName(int event) {
        try {
            MemorySegment s = (MemorySegment) rdmaEventStr.invokeExact(event);
            return s.reinterpret(64).getString(0);
        } catch (Throwable t) {
            return "event " + event;
        }
    }

    String wcStatus(int status) {
        try {
            MemorySegment s = (MemorySegment) ibvWcStatusStr.invokeExact(status);
            return s.reinterpret(64).getString(0);
        } catch (Throwable t) {
            return "status " + status;
        }
    }

    /**
     * The provider function pointer at {@code opsOffset} in the {@code struct ibv_context} that
     * {@code object} (a {@code struct ibv_qp} or {@code struct ibv_cq}; both start with
     * {@code context}) belongs to.
     */
    static MemorySegment opsFunction(MemorySegment object, long opsOffset) {
        MemorySegment context = object.reinterpret(8).get(ADDRESS, 0).reinterpret(Structs.CONTEXT_OPS_POST_RECV + 8);
        MemorySegment fn = context.get(ADDRESS, opsOffset);
        if (fn.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("the RDMA provider has no function at ibv_context_ops+" + opsOffset);
        }
        return fn;
    }

    /** Sets {@code O_NONBLOCK} on a descriptor the library opened (so reads return EAGAIN on the loop). */
    void setNonBlocking(int fd) throws RdmaException {
        try {
            int flags = (int) fcntl.invokeExact(state(), fd, F_GETFL, 0);
            if (flags < 0 || (int) fcntl.invokeExact(state(), fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                throw failure("fcntl(O_NONBLOCK)");
            }
        } catch (RdmaException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Rethrows what a downcall can throw (only unchecked errors: FFM downcalls declare no exceptions). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    static short hostToNet(int port) {
        return Short.reverseBytes((short) port);
    }

    static int netToHost(short port) {
        return Short.reverseBytes(port) & 0xffff;
    }

}
