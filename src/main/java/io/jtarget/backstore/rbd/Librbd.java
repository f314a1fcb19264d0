package io.jtarget.backstore.rbd;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Debian's {@code librados.so.2} and {@code librbd.so.1} through the FFM API: the C functions the rbd
 * store calls, with their C signatures ({@code rados/librados.h}, {@code rbd/librbd.h}, Ceph 16).
 * Handles ({@code rados_t}, {@code rados_ioctx_t}, {@code rbd_image_t}, {@code rbd_completion_t}) are
 * opaque pointers. Every function returns 0 or a positive count, or a negated errno.
 *
 * <p>Loaded on first use; {@link #unavailable()} says why not when the libraries are missing.
 */
final class Librbd {
    static final AddressLayout PTR = ValueLayout.ADDRESS;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    /** {@code <errno.h>} values the store tells apart (Linux, every architecture we run on). */
    static final int ENOENT = 2;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int EILSEQ = 84;
    static final int EOPNOTSUPP = 95;
    static final int ENOTCONN = 107;
    /** Ceph's EBLOCKLISTED: this client's address is on the OSD map's blocklist. */
    static final int ESHUTDOWN = 108;
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int EHOSTUNREACH = 113;
    static final int EDQUOT = 122;

    /** {@code void (*rbd_callback_t)(rbd_completion_t cb, void *arg)}. */
    static final FunctionDescriptor AIO_CALLBACK = FunctionDescriptor.ofVoid(PTR, PTR);
    /** {@code void (*rbd_update_callback_t)(void *arg)}. */
    static final FunctionDescriptor UPDATE_CALLBACK = FunctionDescriptor.ofVoid(PTR);
    /** {@code int (*cb)(uint64_t off, size_t len, int exists, void *arg)} of rbd_diff_iterate2. */
    static final FunctionDescriptor DIFF_CALLBACK = FunctionDescriptor.of(INT, LONG, LONG, INT, PTR);

    private static final Linker LINKER = Linker.nativeLinker();
    private static final String UNAVAILABLE;

    // librados
    static final MethodHandle RADOS_CREATE2; // int (rados_t *, const char *cluster, const char *name, uint64_t flags)
    static final MethodHandle RADOS_CONF_READ_FILE; // int (rados_t, const char *path)
    static final MethodHandle RADOS_CONF_SET; // int (rados_t, const char *option, const char *value)
    static final MethodHandle RADOS_CONF_GET; // int (rados_t, const char *option, char *buf, size_t len)
    static final MethodHandle RADOS_CONNECT; // int (rados_t)
    static final MethodHandle RADOS_SHUTDOWN; // void (rados_t)
    static final MethodHandle RADOS_IOCTX_CREATE; // int (rados_t, const char *pool, rados_ioctx_t *)
    static final MethodHandle RADOS_IOCTX_DESTROY; // void (rados_ioctx_t)
    // librbd
    static final MethodHandle RBD_OPEN; // int (rados_ioctx_t, const char *name, rbd_image_t *, const char *snap)
    static final MethodHandle RBD_OPEN_READ_ONLY; // same
    static final MethodHandle RBD_CLOSE; // int (rbd_image_t)
    static final MethodHandle RBD_GET_SIZE; // int (rbd_image_t, uint64_t *)
    static final MethodHandle RBD_STAT; // int (rbd_image_t, rbd_image_info_t *, size_t infosize)
    static final MethodHandle RBD_AIO_CREATE_COMPLETION; // int (void *arg, rbd_callback_t, rbd_completion_t *)
    static final MethodHandle RBD_AIO_GET_RETURN_VALUE; // ssize_t (rbd_completion_t)
    static final MethodHandle RBD_AIO_RELEASE; // void (rbd_completion_t)
    static final MethodHandle RBD_AIO_READ; // int (rbd_image_t, uint64_t off, size_t len, char *buf, rbd_completion_t)
    static final MethodHandle RBD_AIO_WRITE; // int (rbd_image_t, uint64_t off, size_t len, const char *buf, rbd_completion_t)
    static final MethodHandle RBD_AIO_DISCARD; // int (rbd_image_t, uint64_t off, uint64_t len, rbd_completion_t)
    static final MethodHandle RBD_AIO_FLUSH; // int (rbd_image_t, rbd_completion_t)
    // int (rbd_image_t, uint64_t off, size_t len, const char *buf, size_t data_len, rbd_completion_t, int op_flags)
    static final MethodHandle RBD_AIO_WRITESAME;
    // ssize_t (rbd_image_t, uint64_t off, size_t len, const char *cmp, const char *buf, rbd_completion_t,
    //          uint64_t *mismatch_off, int op_flags)
    static final MethodHandle RBD_AIO_COMPARE_AND_WRITE;
    // int (rbd_image_t, const char *fromsnap, uint64_t ofs, uint64_t len, uint8_t include_parent,
    //      uint8_t whole_object, int (*cb)(uint64_t, size_t, int, void *), void *arg)
    static final MethodHandle RBD_DIFF_ITERATE2;
    static final MethodHandle RBD_UPDATE_WATCH; // int (rbd_image_t, uint64_t *handle, rbd_update_callback_t, void *arg)
    static final MethodHandle RBD_UPDATE_UNWATCH; // int (rbd_image_t, uint64_t handle)

    static {
        String unavailable = null;
        MethodHandle[] h = new MethodHandle[25];
        try {
            SymbolLookup rados = SymbolLookup.libraryLookup("librados.so.2", Arena.global());
            SymbolLookup rbd = SymbolLookup.libraryLookup("librbd.so.1", Arena.global());
            h[0] = bind(rados, "rados_create2", FunctionDescriptor.of(INT, PTR, PTR, PTR, LONG));
            h[1] = bind(rados, "rados_conf_read_file", FunctionDescriptor.of(INT, PTR, PTR));
            h[2] = bind(rados, "rados_conf_set", FunctionDescriptor.of(INT, PTR, PTR, PTR));
            h[3] = bind(rados, "rados_conf_get", FunctionDescriptor.of(INT, PTR, PTR, PTR, LONG));
            h[4] = bind(rados, "rados_connect", FunctionDescriptor.of(INT, PTR));
            h[5] = bind(rados, "rados_shutdown", FunctionDescriptor.ofVoid(PTR));
            h[6] = bind(rados, "rados_ioctx_create", FunctionDescriptor.of(INT, PTR, PTR, PTR));
            h[7] = bind(rados, "rados_ioctx_destroy", FunctionDescriptor.ofVoid(PTR));
            h[8] = bind(rbd, "rbd_open", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR));
            h[9] = bind(rbd, "rbd_open_read_only", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR));
            h[10] = bind(rbd, "rbd_close", FunctionDescriptor.of(INT, PTR));
            h[11] = bind(rbd, "rbd_get_size", FunctionDescriptor.of(INT, PTR, PTR));
            h[12] = bind(rbd, "rbd_stat", FunctionDescriptor.of(INT, PTR, PTR, LONG));
            h[13] = bind(rbd, "rbd_aio_create_completion", FunctionDescriptor.of(INT, PTR, PTR, PTR));
            h[14] = bind(rbd, "rbd_aio_get_return_value", FunctionDescriptor.of(LONG, PTR));
            h[15] = bind(rbd, "rbd_aio_release", FunctionDescriptor.ofVoid(PTR));
            h[16] = bind(rbd, "rbd_aio_read", FunctionDescriptor.of(INT, PTR, LONG, LONG, PTR, PTR));
            h[17] = bind(rbd, "rbd_aio_write", FunctionDescriptor.of(INT, PTR, LONG, LONG, PTR, PTR));
            h[18] = bind(rbd, "rbd_aio_discard", FunctionDescriptor.of(INT, PTR, LONG, LONG, PTR));
            h[19] = bind(rbd, "rbd_aio_flush", FunctionDescriptor.of(INT, PTR, PTR));
            h[20] = bind(rbd, "rbd_aio_writesame", FunctionDescriptor.of(INT, PTR, LONG, LONG, PTR, LONG, PTR, INT));
            h[21] = bind(rbd, "rbd_aio_compare_and_write",
                    FunctionDescriptor.of(LONG, PTR, LONG, LONG, PTR, PTR, PTR, PTR, INT));
            h[22] = bind(rbd, "rbd_diff_iterate2",
                    FunctionDescriptor.of(INT, PTR, PTR, LONG, LONG, ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE, PTR, PTR));
            h[23] = bind(rbd, "rbd_update_watch", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR));
            h[24] = bind(rbd, "rbd_update_unwatch", FunctionDescriptor.of(INT, PTR, LONG));
        } catch (IllegalArgumentException | IllegalCallerException | LinkageError e) {
            unavailable = "librbd.so.1 / librados.so.2 cannot be loaded (" + e.getMessage()
                    + "); install the Debian packages librbd1 and librados2";
            h = new MethodHandle[25];
        }
        UNAVAILABLE = unavailable;
        RADOS_CREATE2 = h[0];
        RADOS_CONF_READ_FILE = h[1];
        RADOS_CONF_SET = h[2];
        RADOS_CONF_GET = h[3];
        RADOS_CONNECT = h[4];
        RADOS_SHUTDOWN = h[5];
        RADOS_IOCTX_CREATE = h[6];
        RADOS_IOCTX_DESTROY = h[7];
        RBD_OPEN = h[8];
        RBD_OPEN_READ_ONLY = h[9];
        RBD_CLOSE = h[10];
        RBD_GET_SIZE = h[11];
        RBD_STAT = h[12];
        RBD_AIO_CREATE_COMPLETION = h[13];
        RBD_AIO_GET_RETURN_VALUE = h[14];
        RBD_AIO_RELEASE = h[15];
        RBD_AIO_READ = h[16];
        RBD_AIO_WRITE = h[17];
        RBD_AIO_DISCARD = h[18];
        RBD_AIO_FLUSH = h[19];
        RBD_AIO_WRITESAME = h[20];
        RBD_AIO_COMPARE_AND_WRITE = h[21];
        RBD_DIFF_ITERATE2 = h[22];
        RBD_UPDATE_WATCH = h[23];
        RBD_UPDATE_UNWATCH = h[24];
    }

    private Librbd() {}

    private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(lib.findOrThrow(name), descriptor);
    }

    /** Why the libraries cannot be used, or null when they can. */
    static String unavailable() {
        return UNAVAILABLE;
    }

    /** An upcall stub of {@code target} (a static or bound handle) living as long as {@code arena}. */
    static MemorySegment upcall(MethodHandle target, FunctionDescriptor descriptor, Arena arena) {
        return LINKER.upcallStub(target, descriptor, arena);
    }

    /** The text of a negated errno as librados returns it, e.g. {@code ETIMEDOUT (110)}. */
    static String errno(long rc) {
        int e = (int) -rc;
        String name = switch (e) {
            case ENOENT -> "ENOENT, no such pool, image or snapshot";
            case EIO -> "EIO";
            case EAGAIN -> "EAGAIN";
            case EACCES -> "EACCES, permission denied";
            case EBUSY -> "EBUSY";
            case EINVAL -> "EINVAL";
            case ENOSPC -> "ENOSPC, no space";
            case EROFS -> "EROFS, read-only";
            case EILSEQ -> "EILSEQ, miscompare";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case ENOTCONN -> "ENOTCONN";
            case ESHUTDOWN -> "EBLOCKLISTED, this client is blocklisted";
            case ETIMEDOUT -> "ETIMEDOUT, timed out";
            case ECONNREFUSED -> "ECONNREFUSED";
            case EHOSTUNREACH -> "EHOSTUNREACH";
            case EDQUOT -> "EDQUOT, quota exceeded";
            default -> "errno";
        };
        return name + " (" + e + ")";
    }
}
