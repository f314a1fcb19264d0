package io.jtarget.iscsi.login;

import java.util.List;
import java.util.Objects;

/** A target and the portals through which an initiator may reach it (for SendTargets, Appendix C). */
public record DiscoverableTarget(String name, List<TargetPortal> portals) {
    public DiscoverableTarget {
        Objects.requireNonNull(name, "name");
        portals = List.copyOf(portals);
    }
}
