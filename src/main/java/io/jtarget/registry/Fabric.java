package io.jtarget.registry;

import io.jtarget.scsi.LogicalUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the registry needs from a fabric (iSCSI, iSER, SRP, TCMU): a fabric reads
 * targets from the {@link Registry} when initiators log in, and the registry calls these hooks
 * when something a fabric acts on changes. Calls come from the management thread, never from a
 * fabric's I/O thread; implementations hand work to their own threads and must not block long.
 */
public interface Fabric {
    /** Short name for logs and the sessions view, e.g. {@code iscsi}. */
    String name();

    /** A target was added: declare its target ports on {@code target.core()} so VPD pages name them. */
    default void targetAdded(ServedTarget target) {}

    /**
     * A target is being removed (it no longer accepts logins): end every session to it. The
     * future completes once they have all ended and none of their commands is outstanding.
     */
    CompletableFuture<Void> endSessions(ServedTarget target);

    /** Authentication or access rules of a target changed, or a target came or went: new logins follow the new rules. */
    default void rulesChanged() {}

    /** The fabric's live sessions. */
    List<SessionInfo> sessions();

    /**
     * End one session (the initiator sees its connection closed and may log in again).
     *
     * @return false when the fabric has no session with that id
     */
    boolean dropSession(String id);

    /**
     * Logical units this fabric serves outside the registry's targets (LIO's user backstores
     * behind TCMU), for the readers that list everything served: metrics and {@code jtarget stats}.
     */
    default List<OwnUnit> ownUnits() {
        return List.of();
    }

    /** A logical unit of a fabric's own, named for metrics as a target and LUN would be. */
    record OwnUnit(String name, LogicalUnit unit) {}
}
