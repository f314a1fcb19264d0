package io.jtarget.config;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What must change to bring a running server from one configuration to another, and nothing else:
 * a target or LUN that is the same in both is not touched, so its sessions never notice. Steps are
 * ordered so that everything that can fail (opening stores, binding portals, resizing) comes before
 * anything that ends sessions or drops data (removals): a refused step can be undone by undoing the
 * steps before it.
 *
 * @param changes the steps, in the order they are to be applied
 * @param restartNeeded what differs but only takes effect at the next start (thread counts, limits)
 */
public record ConfigPlan(List<Change> changes, List<String> restartNeeded) {

    /** One step of a plan. */
    public sealed interface Change {
        /** One line for the operator: what this step does. */
        String describe();

        /** True for steps that end sessions or close stores; they run last and cannot be undone. */
        default boolean removes() {
            return false;
        }
    }

    public record AddPortal(InetSocketAddress address) implements Change {
        @Override
        public String describe() {
            return "add portal " + Portals.format(address);
        }
    }

    public record RemovePortal(InetSocketAddress address) implements Change {
        @Override
        public String describe() {
            return "remove portal " + Portals.format(address);
        }

        @Override
        public boolean removes() {
            return true;
        }
    }

    public record AddTarget(TargetConfig target) implements Change {
        @Override
        public String describe() {
            return "add target " + target.name() + " with " + target.luns().size() + " LUN(s)";
        }
    }

    public record RemoveTarget(String name) implements Change {
        @Override
        public String describe() {
            return "remove target " + name;
        }

        @Override
        public boolean removes() {
            return true;
        }
    }

    public record AddLun(String target, LunConfig lun) implements Change {
        @Override
        public String describe() {
            return "add LUN " + lun.lun() + " (" + lun.backing().spec() + ") to " + target;
        }
    }

    public record RemoveLun(String target, int lun) implements Change {
        @Override
        public String describe() {
            return "remove LUN " + lun + " from " + target;
        }

        @Override
        public boolean removes() {
            return true;
        }
    }

    public record ResizeLun(String target, int lun, long sizeBytes) implements Change {
        @Override
        public String describe() {
            return "resize LUN " + lun + " of " + target + " to " + BackingSpecParser.formatSize(sizeBytes);
        }
    }

    public record UpdateRules(String target, AuthConfig auth, AccessConfig access) implements Change {
        @Override
        public String describe() {
            return "change authentication/access of " + target + " (access: " + access.describe() + "; auth: "
                    + auth.describe() + ")";
        }
    }

    public record UpdateDiscoveryAuth(AuthConfig auth) implements Change {
        @Override
        public String describe() {
            return "change discovery authentication (" + auth.describe() + ")";
        }
    }

    public ConfigPlan {
        changes = List.copyOf(changes);
        restartNeeded = List.copyOf(restartNeeded);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /** The steps from {@code from} (what runs) to {@code to} (what is wanted). */
    public static ConfigPlan between(ServerConfig from, ServerConfig to) {
        List<Change> additive = new ArrayList<>();
        List<Change> removals = new ArrayList<>();
        List<Change> portalRemovals = new ArrayList<>();
        for (InetSocketAddress p : to.portals()) {
            if (!from.portals().contains(p)) {
                additive.add(new AddPortal(p));
            }
        }
        for (InetSocketAddress p : from.portals()) {
            if (!to.portals().contains(p)) {
                portalRemovals.add(new RemovePortal(p));
            }
        }
        if (!from.discoveryAuth().sameAs(to.discoveryAuth())) {
            additive.add(new UpdateDiscoveryAuth(to.discoveryAuth()));
        }
        Map<String, TargetConfig> before = byName(from.targets());
        Map<String, TargetConfig> after = byName(to.targets());
        for (Map.Entry<String, TargetConfig> e : after.entrySet()) {
            TargetConfig old = before.get(e.getKey());
            TargetConfig wanted = e.getValue();
            if (old == null) {
                additive.add(new AddTarget(wanted));
                continue;
            }
            diffLuns(old, wanted, additive, removals);
            if (!old.auth().sameAs(wanted.auth()) || !old.access().equals(wanted.access())) {
                additive.add(new UpdateRules(old.name(), wanted.auth(), wanted.access()));
            }
        }
        for (Map.Entry<String, TargetConfig> e : before.entrySet()) {
            if (!after.containsKey(e.getKey())) {
                removals.addFirst(new RemoveTarget(e.getValue().name()));
            }
        }
        List<String> restart = new ArrayList<>();
        if (!from.limits().equals(to.limits())) {
            restart.add("limits (threads, queue depth, timeouts)");
        }
        if (!from.connectionLimits().equals(to.connectionLimits())) {
            restart.add("connection limits");
        }
        // Targets go first (their sessions end), then LUNs, then portals (sessions through them stay).
        List<Change> all = new ArrayList<>(additive);
        all.addAll(removals);
        all.addAll(portalRemovals);
        return new ConfigPlan(all, restart);
    }

    /**
     * A LUN whose store and flags are unchanged but whose size differs is resized in place; any other
     * difference replaces it (remove, then add with the new configuration).
     */
    private static void diffLuns(TargetConfig old, TargetConfig wanted, List<Change> additive, List<Change> removals) {
        Map<Integer, LunConfig> before = new LinkedHashMap<>();
        old.luns().forEach(l -> before.put(l.lun(), l));
        for (LunConfig l : wanted.luns()) {
            LunConfig was = before.get(l.lun());
            if (was == null) {
                additive.add(new AddLun(old.name(), l));
            } else if (!was.equals(l)) {
                boolean sizeOnly = was.readOnly() == l.readOnly() && was.removable() == l.removable()
                        && was.backing().withSize(0).equals(l.backing().withSize(0));
                if (sizeOnly && l.backing().sizeBytes() > 0) {
                    additive.add(new ResizeLun(old.name(), l.lun(), l.backing().sizeBytes()));
                } else if (!sizeOnly) {
                    // Replaced: the old one goes first (its store may be the same file), then the new one.
                    removals.add(new RemoveLun(old.name(), l.lun()));
                    removals.add(new AddLun(old.name(), l));
                }
            }
        }
        Map<Integer, LunConfig> after = new HashMap<>();
        wanted.luns().forEach(l -> after.put(l.lun(), l));
        for (LunConfig l : old.luns()) {
            if (!after.containsKey(l.lun())) {
                removals.add(new RemoveLun(old.name(), l.lun()));
            }
        }
    }

    private static Map<String, TargetConfig> byName(List<TargetConfig> targets) {
        Map<String, TargetConfig> m = new LinkedHashMap<>();
        for (TargetConfig t : targets) {
            m.put(IscsiNameFolding.fold(Objects.requireNonNull(t.name())), t);
        }
        return m;
    }
}
