package io.jtarget.admin;

import io.jtarget.admin.ChangeRefused.Kind;
import io.jtarget.config.BackingSpecParser;
import io.jtarget.config.ConfigCompiler;
import io.jtarget.config.ConfigDocument;
import io.jtarget.config.ConfigException;
import io.jtarget.config.ConfigFiles;
import io.jtarget.config.ConfigPlan;
import io.jtarget.config.ConfigPlan.AddLun;
import io.jtarget.config.ConfigPlan.AddPortal;
import io.jtarget.config.ConfigPlan.AddTarget;
import io.jtarget.config.ConfigPlan.Change;
import io.jtarget.config.ConfigPlan.RemoveLun;
import io.jtarget.config.ConfigPlan.RemovePortal;
import io.jtarget.config.ConfigPlan.RemoveTarget;
import io.jtarget.config.ConfigPlan.ResizeLun;
import io.jtarget.config.ConfigPlan.UpdateDiscoveryAuth;
import io.jtarget.config.ConfigPlan.UpdateRules;
import io.jtarget.config.IscsiNameFolding;
import io.jtarget.config.Portals;
import io.jtarget.config.ServerConfig;
import io.jtarget.net.IscsiServer;
import io.jtarget.registry.Registry;
import io.jtarget.registry.RegistryException;
import io.jtarget.registry.ServedTarget;
import io.jtarget.scsi.LogicalUnit;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live management of a server run from a data directory: every change (a CLI command, an applied
 * file, SIGHUP) becomes a wanted {@link ConfigDocument}; the difference to the running one is planned
 * ({@link ConfigPlan}) and applied to the running server through its {@link Registry}, then the file
 * is saved. Only what changed is touched.
 *
 * <p>A refused change leaves the server and the file as they were: the wanted document is validated
 * first, removals of LUs an initiator holds are refused unless forced, the steps that can fail
 * (opening stores, binding portals, resizing) run before the file is saved and are undone if one of
 * them fails or the save fails; removals (which end sessions and close stores) run only after the
 * save. Requests are serialised (this object's monitor) and run on the admin thread, never on an
 * event loop.
 */
public final class Management {
    private static final Logger LOG = LoggerFactory.getLogger(Management.class);
    /** Shown instead of an inline secret; applying it back keeps the secret in force. */
    public static final String REDACTED = "(redacted)";

    private final IscsiServer server;
    private final Path dataDir;
    private final Duration drainTimeout;
    private ConfigDocument document; // guarded by this: what runs, and what the file says
    private ServerConfig compiled; // guarded by this

    /** What an applied change did. */
    public record Result(List<String> changes, List<String> restartNeeded) {}

    /**
     * @param document the document the server was started from (already saved in {@code dataDir})
     * @param compiled it, compiled
     */
    public Management(IscsiServer server, Path dataDir, ConfigDocument document, ServerConfig compiled,
            Duration drainTimeout) {
        this.server = server;
        this.dataDir = dataDir;
        this.document = document;
        this.compiled = compiled;
        this.drainTimeout = drainTimeout;
    }

    public Registry registry() {
        return server.registry();
    }

    public IscsiServer server() {
        return server;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The configuration in force, as the file has it. */
    public synchronized ConfigDocument document() {
        return document;
    }

    /** The configuration in force with inline secrets replaced by {@value #REDACTED}. */
    public synchronized ConfigDocument redactedDocument() {
        return Secrets.redact(document);
    }

    /** Validate a document without applying it: compiled with this server's data directory. */
    public synchronized void validate(ConfigDocument wanted) throws ChangeRefused {
        try {
            ConfigCompiler.compile(Secrets.unredact(wanted, document), dataDir);
        } catch (ConfigException e) {
            throw ChangeRefused.of(e);
        }
    }

    /** Re-read the data directory's file and apply it (SIGHUP). */
    public synchronized Result reload() throws ChangeRefused {
        try {
            ConfigDocument onDisk = ConfigFiles.read(ConfigFiles.in(dataDir))
                    .orElseThrow(() -> new ChangeRefused(Kind.NOT_FOUND, ConfigFiles.in(dataDir) + " is missing"));
            return apply(onDisk, false);
        } catch (ConfigException e) {
            throw ChangeRefused.of(e);
        } catch (IOException e) {
            throw ChangeRefused.failed("cannot read " + ConfigFiles.in(dataDir) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Make the server run {@code wanted} and save it.
     *
     * @param force remove LUs even while an initiator holds them; shrink below written data
     */
    public synchronized Result apply(ConfigDocument wanted, boolean force) throws ChangeRefused {
        return apply(wanted, force, null);
    }

    /**
     * {@link #apply(ConfigDocument, boolean)} of a document an operator wrote: the file saved keeps
     * the comments of {@code text} (where null, those of the file it replaces).
     */
    public synchronized Result apply(ConfigDocument wanted, boolean force, String text) throws ChangeRefused {
        ConfigDocument next = Secrets.unredact(wanted, document);
        ServerConfig target;
        try {
            target = ConfigCompiler.compile(next, dataDir);
        } catch (ConfigException e) {
            throw ChangeRefused.of(e);
        }
        ConfigPlan plan = ConfigPlan.between(compiled, target);
        refuseBusyRemovals(plan, force);
        Deque<Runnable> undo = new ArrayDeque<>();
        List<String> done = new ArrayList<>();
        try {
            for (Change c : plan.changes()) {
                if (!c.removes() && !(c instanceof AddLun && isReplacement(plan, (AddLun) c))) {
                    applyAdditive(c, force, undo);
                    done.add(c.describe());
                }
            }
            ConfigFiles.save(dataDir, next, text);
        } catch (RegistryException e) {
            rollback(undo);
            throw ChangeRefused.of(e);
        } catch (IOException e) {
            rollback(undo);
            throw ChangeRefused.failed("cannot save " + ConfigFiles.in(dataDir) + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            rollback(undo);
            throw new ChangeRefused(Kind.BAD_VALUE, e.getMessage() == null ? e.toString() : e.getMessage());
        }
        document = next;
        compiled = target;
        // The file says what is wanted now; removals end sessions and close stores, and are not undone.
        List<String> failures = new ArrayList<>();
        for (Change c : plan.changes()) {
            if (c.removes() || (c instanceof AddLun add && isReplacement(plan, add))) {
                try {
                    applyRemoval(c, force);
                    done.add(c.describe());
                } catch (RegistryException | RuntimeException e) {
                    LOG.error("{} failed after the configuration was saved: {}", c.describe(), e.getMessage());
                    failures.add(c.describe() + ": " + e.getMessage());
                }
            }
        }
        for (String d : done) {
            LOG.info("configuration change: {}", d);
        }
        if (!failures.isEmpty()) {
            throw ChangeRefused.failed("saved, but " + String.join("; ", failures), null);
        }
        return new Result(done, plan.restartNeeded());
    }

    /** Apply a change to the document in force. */
    public synchronized Result change(UnaryOperator<ConfigDocument> edit, boolean force) throws ChangeRefused {
        return apply(edit.apply(document), force);
    }

    /** The document in force, its target {@code name} changed by {@code edit}. */
    public synchronized Result changeTarget(String name, UnaryOperator<ConfigDocument.Target> edit, boolean force)
            throws ChangeRefused {
        int index = document.indexOfTarget(name);
        if (index < 0) {
            throw new ChangeRefused(Kind.NOT_FOUND, "no target " + name);
        }
        return apply(document.withTarget(index, edit), force);
    }

    // ---------------------------------------------------------------------------------------------

    private void refuseBusyRemovals(ConfigPlan plan, boolean force) throws ChangeRefused {
        if (force) {
            return;
        }
        for (Change c : plan.changes()) {
            List<LogicalUnit> going = new ArrayList<>();
            String where = "";
            if (c instanceof RemoveLun r) {
                ServedTarget t = registry().target(r.target());
                LogicalUnit lu = t == null ? null : t.core().logicalUnit(r.lun());
                if (lu != null) {
                    going.add(lu);
                    where = r.target();
                }
            } else if (c instanceof RemoveTarget r && registry().target(r.name()) != null) {
                going.addAll(registry().target(r.name()).logicalUnits());
                where = r.name();
            }
            for (LogicalUnit lu : going) {
                String holder = lu.inUseBy();
                if (holder != null) {
                    throw new ChangeRefused(Kind.BUSY, "LUN " + lu.lun() + " of " + where + " is in use: " + holder
                            + " (--force removes it anyway)");
                }
            }
        }
    }

    /** An AddLun that follows a RemoveLun of the same LUN: it must wait for that removal. */
    private static boolean isReplacement(ConfigPlan plan, AddLun add) {
        return plan.changes().stream().anyMatch(c -> c instanceof RemoveLun r
                && r.lun() == add.lun().lun() && IscsiNameFolding.fold(r.target()).equals(IscsiNameFolding.fold(add.target())));
    }

    private void applyAdditive(Change c, boolean force, Deque<Runnable> undo) throws RegistryException {
        Registry registry = registry();
        switch (c) {
            case AddPortal p -> {
                InetSocketAddress bound = bind(p.address());
                undo.push(() -> server.removePortal(bound));
            }
            case AddTarget t -> {
                registry.addTarget(t.target());
                undo.push(() -> quietly(() -> await(registry.removeTarget(t.target().name()))));
            }
            case AddLun a -> {
                registry.addLun(a.target(), a.lun());
                undo.push(() -> quietly(() -> await(registry.removeLun(a.target(), a.lun().lun(), true, drainTimeout))));
            }
            case ResizeLun r -> {
                ServedTarget t = registry.target(r.target());
                LogicalUnit lu = t == null ? null : t.core().logicalUnit(r.lun());
                long before = lu == null ? 0 : lu.device().blockCount() * lu.device().blockSize();
                registry.resizeLun(r.target(), r.lun(), r.sizeBytes(), force);
                undo.push(() -> quietly(() -> registry.resizeLun(r.target(), r.lun(), before, true)));
            }
            case UpdateRules u -> {
                ServedTarget t = registry.target(u.target());
                var oldAuth = t.auth();
                var oldAccess = t.access();
                registry.updateRules(u.target(), u.auth(), u.access());
                undo.push(() -> quietly(() -> registry.updateRules(u.target(), oldAuth, oldAccess)));
            }
            case UpdateDiscoveryAuth d -> {
                var old = compiled.discoveryAuth();
                server.discoveryAuth(d.auth());
                undo.push(() -> server.discoveryAuth(old));
            }
            case RemovePortal r -> throw new IllegalStateException("a removal in the additive phase: " + r);
            case RemoveTarget r -> throw new IllegalStateException("a removal in the additive phase: " + r);
            case RemoveLun r -> throw new IllegalStateException("a removal in the additive phase: " + r);
        }
    }

    private void applyRemoval(Change c, boolean force) throws RegistryException {
        Registry registry = registry();
        switch (c) {
            case RemovePortal p -> server.removePortal(p.address());
            case RemoveTarget t -> await(registry.removeTarget(t.name()));
            case RemoveLun r -> await(registry.removeLun(r.target(), r.lun(), force, drainTimeout));
            case AddLun a -> registry.addLun(a.target(), a.lun());
            default -> throw new IllegalStateException("not a removal: " + c);
        }
    }

    private InetSocketAddress bind(InetSocketAddress address) throws RegistryException {
        try {
            return server.addPortal(address);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(RegistryException.Reason.STORE_FAILED, "interrupted binding " + address);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(RegistryException.Reason.CONFLICT, e.getMessage());
        } catch (RuntimeException e) {
            // Netty reports a failed bind (address in use, not local) as the cause of an unchecked exception.
            throw new RegistryException(RegistryException.Reason.CONFLICT, "cannot listen on "
                    + Portals.format(address) + ": " + e.getMessage());
        }
    }

    /** Waits for a removal's drain: at most the drain timeout plus the time aborted commands take to end. */
    private void await(CompletableFuture<Void> removal) {
        try {
            removal.get(drainTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("removal did not drain in time; it completes in the background");
        }
    }

    private static void rollback(Deque<Runnable> undo) {
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (RuntimeException e) {
                LOG.error("undoing a refused change failed: {}", e.toString());
            }
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws RegistryException;
    }

    private static void quietly(Step step) {
        try {
            step.run();
        } catch (RegistryException e) {
            LOG.error("undoing a refused change failed: {}", e.getMessage());
        }
    }

    /** The lowest LUN number target {@code t} does not use. */
    static int freeLun(ConfigDocument.Target t) {
        int n = 0;
        while (true) {
            int candidate = n;
            if (t.luns().stream().noneMatch(l -> l.lun() != null && l.lun() == candidate)) {
                return n;
            }
            n++;
        }
    }

    /** Sizes as the operator writes them; refused here with the same words the file's validation uses. */
    static String checkedSize(String size) throws ChangeRefused {
        try {
            long bytes = BackingSpecParser.parseSize(size);
            if (bytes <= 0 || bytes % 512 != 0) {
                throw new ChangeRefused(Kind.BAD_VALUE, "size must be a positive multiple of 512 bytes, got " + size);
            }
            return size;
        } catch (IllegalArgumentException e) {
            throw new ChangeRefused(Kind.BAD_VALUE, e.getMessage());
        }
    }
}
