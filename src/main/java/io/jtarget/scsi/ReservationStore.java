package io.jtarget.scsi;

import java.io.IOException;

/**
 * Where one logical unit's persistent reservation state lives when APTPL=1 (SPC-5 §5.14.5): it must
 * survive a power loss. {@link PrStore} keeps it in a file of the state directory; a store shared by
 * several gateways (an RBD image) can keep it in the cluster instead.
 *
 * <p>The state is opaque bytes (the core encodes and checks it); a save replaces the whole state
 * atomically: after a crash a load returns either the old or the new state, never a mix. Calls come from
 * the thread running a PERSISTENT RESERVE OUT (an event loop) and must be short; the command completes
 * only after {@link #save} or {@link #delete} returned.
 */
public interface ReservationStore {

    /** @return the state saved last, or null when none is saved */
    byte[] load() throws IOException;

    /** Replace the saved state with {@code state}, durably, before returning. */
    void save(byte[] state) throws IOException;

    /** Forget the saved state (APTPL=0: nothing is to survive a power loss); no-op when there is none. */
    void delete() throws IOException;
}
