package io.jtarget.registry;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.config.AccessConfig;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.IscsiNameFolding;
import io.jtarget.config.LunConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.registry.RegistryException.Reason;
import io.jtarget.scsi.CopyTargets;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.scsi.PrStore;
import io.jtarget.scsi.ScsiTargetCore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one model of what the server serves: targets, their logical units and backing stores, who
 * may log in, and the sessions every fabric has. The configuration, the admin API and every
 * fabric read and change it through here, and the rules of a live change live here:
 *
 * <ul>
 *   <li>add a LU: open its store, then serve it; every I_T nexus of the target gets REPORTED LUNS
 *       DATA HAS CHANGED (SPC-5 §6.33) on the new LU;
 *   <li>remove a LU: refused while an initiator holds it (reservation, prevented medium removal)
 *       unless forced; otherwise the LU admits no new command, its outstanding commands run to their
 *       end (after the drain timeout they are aborted, each completion still delivered exactly once),
 *       then its store is closed; the other LUs report REPORTED LUNS DATA HAS CHANGED;
 *   <li>resize a LU: the store changes size (a file grows sparse), then CAPACITY DATA HAS CHANGED
 *       (SBC-4 §4.6) to every I_T nexus; a shrink that would drop written blocks needs force;
 *   <li>remove a target: it stops accepting logins, every fabric ends its sessions, then its LUs'
 *       stores are closed.
 * </ul>
 *
 * <p>Threads: reads ({@link #target}, {@link #targets}) are lock-free (an immutable map behind a
 * volatile field) and run on fabric threads at login. Changes are serialised by this object's
 * monitor and run on the management thread; they never run on an event loop, since opening or
 * resizing a store may block. A removal's drain completes asynchronously; the returned future
 * says when the store is closed.
 *
 * <p>Ownership: the registry opens every store and closes it exactly once (on removal or {@link #close}).
 */
public final class Registry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    /** How long a removed LU's outstanding commands may run before they are aborted. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final StoreOpener stores;
    /** Closes stores of removed LUs and targets: a store's close flushes, which may wait for the disk. */
    private final Executor closer = ForkJoinPool.commonPool();
    private final Path stateDir;
    private final CopyTargets copyTargets = new CopyTargets();
    private final List<Fabric> fabrics = new CopyOnWriteArrayList<>();
    /** Targets by folded name (RFC 7143 §4.2.7.1), replaced whole on change. */
    private volatile Map<String, ServedTarget> targets = Map.of();
    private boolean closed; // guarded by this

    /**
     * @param stores opens a LUN's backing store
     * @param stateDir where persistent reservations with APTPL=1 are kept; null keeps none
     */
    public Registry(StoreOpener stores, Path stateDir) {
        this.stores = stores;
        this.stateDir = stateDir;
    }

    /** A fabric that serves the registry's targets; it is told of changes from now on. */
    public void addFabric(Fabric fabric) {
        fabrics.add(fabric);
    }

    /** The LUs EXTENDED COPY can reach: every LU of every target. */
    public CopyTargets copyTargets() {
        return copyTargets;
    }

    // ---------------------------------------------------------------------------------------------
    // Reads (lock-free)

    /** The target named {@code name} (compared case-insensitively, RFC 7143 §4.2.7.1), or null. */
    public ServedTarget target(String name) {
        return name == null ? null : targets.get(IscsiNameFolding.fold(name));
    }

    /** Every target, by name. */
    public List<ServedTarget> targets() {
        return targets.values().stream().sorted(Comparator.comparing(ServedTarget::name)).toList();
    }

    /** The logical units fabrics serve outside the registry's targets ({@link Fabric#ownUnits}). */
    public List<Fabric.OwnUnit> fabricUnits() {
        List<Fabric.OwnUnit> all = new ArrayList<>();
        for (Fabric f : fabrics) {
            all.addAll(f.ownUnits());
        }
        return all;
    }

    /** Every fabric's sessions. */
    public List<SessionInfo> sessions() {
        List<SessionInfo> all = new ArrayList<>();
        for (Fabric f : fabrics) {
            all.addAll(f.sessions());
        }
        return all;
    }

    /** @throws RegistryException NOT_FOUND when no fabric has that session */
    public void dropSession(String id) throws RegistryException {
        for (Fabric f : fabrics) {
            if (f.dropSession(id)) {
                LOG.info("session {} dropped by the administrator", id);
                return;
            }
        }
        throw new RegistryException(Reason.NOT_FOUND, "no session " + id);
    }

    // ---------------------------------------------------------------------------------------------
    // Changes (serialised)

    /**
     * Open every LUN's store and serve the target.
     *
     * @throws RegistryException CONFLICT for a name in use, STORE_FAILED or BAD_VALUE when a store
     *     cannot be opened (the stores opened before it are closed again)
     */
    public synchronized ServedTarget addTarget(TargetConfig config) throws RegistryException {
        requireOpen();
        String key = IscsiNameFolding.fold(config.name());
        if (targets.containsKey(key)) {
            throw new RegistryException(Reason.CONFLICT, "target " + config.name() + " already exists");
        }
        List<LogicalUnit> units = new ArrayList<>();
        Map<Integer, LunConfig> lunConfigs = new TreeMap<>();
        try {
            for (LunConfig lun : config.luns()) {
                if (lunConfigs.put(lun.lun(), lun) != null) {
                    throw new RegistryException(Reason.CONFLICT, "LUN " + lun.lun() + " appears twice in target "
                            + config.name());
                }
                units.add(openLogicalUnit(config.name(), lun));
            }
        } catch (RegistryException e) {
            units.forEach(u -> u.device().close());
            throw e;
        }
        ScsiTargetCore core = new ScsiTargetCore(config.name(), units, copyTargets);
        core.lunMasks(config.access().mappedLuns());
        ServedTarget target = new ServedTarget(config.name(), core, config.auth(), config.access(), lunConfigs);
        Map<String, ServedTarget> next = new LinkedHashMap<>(targets);
        next.put(key, target);
        targets = Map.copyOf(next);
        for (Fabric f : fabrics) {
            f.targetAdded(target);
            f.rulesChanged();
        }
        LOG.info("target {} added with {} LUN(s)", config.name(), units.size());
        return target;
    }

    /**
     * Stop serving a target: no new logins, every fabric ends its sessions, then its stores close.
     *
     * @return completes once the target's stores are closed
     * @throws RegistryException NOT_FOUND
     */
    public synchronized CompletableFuture<Void> removeTarget(String name) throws RegistryException {
        requireOpen();
        ServedTarget target = require(name);
        Map<String, ServedTarget> next = new LinkedHashMap<>(targets);
        next.remove(IscsiNameFolding.fold(name));
        targets = Map.copyOf(next);
        List<CompletableFuture<Void>> ended = new ArrayList<>();
        for (Fabric f : fabrics) {
            f.rulesChanged();
            ended.add(f.endSessions(target));
        }
        LOG.info("target {} removed; ending its sessions", target.name());
        // Closing flushes (fsync): never on the fabric thread that saw the last session end.
        return CompletableFuture.allOf(ended.toArray(CompletableFuture[]::new))
                .handleAsync((v, e) -> {
                    target.core().close();
                    LOG.info("target {}: stores closed", target.name());
                    return null;
                }, closer);
    }

    /**
     * Open the LU's store and serve it.
     *
     * @throws RegistryException NOT_FOUND (target), CONFLICT (LUN taken), BAD_VALUE or STORE_FAILED (store)
     */
    public synchronized LogicalUnit addLun(String targetName, LunConfig lun) throws RegistryException {
        requireOpen();
        ServedTarget target = require(targetName);
        if (target.core().logicalUnit(lun.lun()) != null) {
            throw new RegistryException(Reason.CONFLICT, "LUN " + lun.lun() + " already exists in target " + target.name());
        }
        LogicalUnit unit = openLogicalUnit(target.name(), lun);
        target.core().addLogicalUnit(unit);
        target.putLunConfig(lun);
        return unit;
    }

    /**
     * Stop serving a LU and close its store once its outstanding commands have ended.
     *
     * @param force remove it even while an initiator holds it (reservation, prevented medium removal)
     * @param drainTimeout how long outstanding commands may run before they are aborted
     * @return completes once the store is closed
     * @throws RegistryException NOT_FOUND, or BUSY when an initiator holds it and {@code force} is false
     */
    public synchronized CompletableFuture<Void> removeLun(String targetName, int lun, boolean force,
            Duration drainTimeout) throws RegistryException {
        requireOpen();
        ServedTarget target = require(targetName);
        LogicalUnit unit = requireLun(target, lun);
        String holder = unit.inUseBy();
        if (holder != null && !force) {
            throw new RegistryException(Reason.BUSY, "LUN " + lun + " of " + target.name() + " is in use: " + holder
                    + " (force removes it anyway)");
        }
        CompletableFuture<LogicalUnit> drained = target.core().removeLogicalUnit(lun);
        target.removeLunConfig(lun);
        // Commands still running at the deadline are aborted; their completions still arrive, once each.
        CompletableFuture.delayedExecutor(drainTimeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (!drained.isDone()) {
                LOG.warn("target {}: LUN {} still has {} command(s) after {}; aborting them", target.name(), lun,
                        target.core().outstandingCommands(unit), drainTimeout);
                target.core().abortTasks(unit);
            }
        });
        // The drain ends on the thread of the last task's completion, perhaps an event loop: closing
        // (which flushes) runs elsewhere.
        return drained.thenAcceptAsync(lu -> {
            lu.device().close();
            LOG.info("target {}: LUN {} drained, store {} closed", target.name(), lun, lu.device().describe());
        }, closer);
    }

    /**
     * Change a LU's capacity.
     *
     * @param force shrink even when blocks beyond the new end hold data
     * @throws RegistryException NOT_FOUND; BAD_VALUE for a size that is not a positive multiple of the
     *     block size or a store that cannot be resized; BUSY when a shrink would drop data and
     *     {@code force} is false; STORE_FAILED when the store failed to resize (its size is unchanged)
     */
    public synchronized void resizeLun(String targetName, int lun, long sizeBytes, boolean force)
            throws RegistryException {
        requireOpen();
        ServedTarget target = require(targetName);
        LogicalUnit unit = requireLun(target, lun);
        BlockDevice device = unit.device();
        if (sizeBytes <= 0 || sizeBytes % device.blockSize() != 0) {
            throw new RegistryException(Reason.BAD_VALUE, "size must be a positive multiple of " + device.blockSize()
                    + " bytes, got " + sizeBytes);
        }
        long blocks = sizeBytes / device.blockSize();
        if (blocks == device.blockCount()) {
            return;
        }
        try {
            if (blocks < device.blockCount() && !force && device.holdsDataFrom(blocks)) {
                throw new RegistryException(Reason.BUSY, "LUN " + lun + " of " + target.name() + " holds data beyond "
                        + sizeBytes + " bytes; shrinking would lose it (force shrinks anyway)");
            }
            device.resize(blocks);
        } catch (UnsupportedOperationException e) {
            throw new RegistryException(Reason.BAD_VALUE, e.getMessage());
        } catch (IOException e) {
            throw new RegistryException(Reason.STORE_FAILED, "resizing " + device.describe() + ": " + e.getMessage(), e);
        }
        LunConfig old = target.lunConfig(lun);
        if (old != null) {
            target.putLunConfig(new LunConfig(lun, old.backing().withSize(sizeBytes), old.readOnly(), old.removable()));
        }
        target.core().capacityChanged(unit);
    }

    /** Replace a target's authentication and access rules; sessions already logged in keep running. */
    public synchronized void updateRules(String targetName, AuthConfig auth, AccessConfig access)
            throws RegistryException {
        requireOpen();
        ServedTarget target = require(targetName);
        target.rules(auth, access);
        target.core().lunMasks(access.mappedLuns());
        for (Fabric f : fabrics) {
            f.rulesChanged();
        }
        LOG.info("target {}: access rules now {}; authentication {}", target.name(), access.describe(), auth.describe());
    }

    /** Close every target's stores; idempotent. Fabrics must have ended their sessions first. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ServedTarget t : targets.values()) {
            try {
                t.core().close();
            } catch (RuntimeException e) {
                LOG.error("closing target {}: {}", t.name(), e.toString());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    private LogicalUnit openLogicalUnit(String targetName, LunConfig lun) throws RegistryException {
        BlockDevice device;
        try {
            device = stores.open(lun.backing());
        } catch (IllegalArgumentException e) {
            throw new RegistryException(Reason.BAD_VALUE, "LUN " + lun.lun() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new RegistryException(Reason.STORE_FAILED, "LUN " + lun.lun() + ": " + e.getMessage(), e);
        }
        LogicalUnit unit = new LogicalUnit(lun.lun(), device, lun.readOnly(), serialFor(targetName, lun), lun.removable());
        if (stateDir != null) {
            try {
                unit.persistReservationsIn(PrStore.forLogicalUnit(stateDir, unit.serial()));
            } catch (IOException | RuntimeException e) {
                device.close();
                throw new RegistryException(Reason.STORE_FAILED, "LUN " + lun.lun()
                        + ": restoring its persistent reservations: " + e.getMessage(), e);
            }
        }
        return unit;
    }

    /**
     * A stable unit serial number (VPD 80h) and NAA seed: the same target, LUN and backing store
     * give the same identity after a restart, which multipath and clusters rely on.
     */
    public static String serialFor(String targetName, LunConfig lun) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(
                    (targetName + "\0" + lun.lun() + "\0" + lun.backing().identity()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private ServedTarget require(String name) throws RegistryException {
        ServedTarget t = target(name);
        if (t == null) {
            throw new RegistryException(Reason.NOT_FOUND, "no target " + name);
        }
        return t;
    }

    private static LogicalUnit requireLun(ServedTarget target, int lun) throws RegistryException {
        LogicalUnit unit = target.core().logicalUnit(lun);
        if (unit == null) {
            throw new RegistryException(Reason.NOT_FOUND, "no LUN " + lun + " in target " + target.name());
        }
        return unit;
    }

    private void requireOpen() throws RegistryException {
        if (closed) {
            throw new RegistryException(Reason.NOT_FOUND, "the server is shutting down");
        }
    }
}
