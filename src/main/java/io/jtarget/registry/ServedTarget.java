package io.jtarget.registry;

import io.jtarget.config.AccessConfig;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.LunConfig;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.scsi.ScsiTargetCore;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One target as the registry serves it: its name, the SCSI core with its logical units, the LUN
 * configurations they were opened from, and who may log in and how. Fabrics read it; only the
 * {@link Registry} changes it. Reads are lock-free: each mutable part is an immutable value
 * behind a volatile field.
 */
public final class ServedTarget {
    private final String name;
    private final ScsiTargetCore core;
    private volatile AuthConfig auth;
    private volatile AccessConfig access;
    /** The configuration each LUN was opened from, by LUN; replaced whole on change. */
    private volatile Map<Integer, LunConfig> lunConfigs;

    ServedTarget(String name, ScsiTargetCore core, AuthConfig auth, AccessConfig access, Map<Integer, LunConfig> luns) {
        this.name = name;
        this.core = core;
        this.auth = auth;
        this.access = access;
        this.lunConfigs = Map.copyOf(luns);
    }

    public String name() {
        return name;
    }

    public ScsiTargetCore core() {
        return core;
    }

    /** How initiators authenticate to this target. */
    public AuthConfig auth() {
        return auth;
    }

    /** Which initiators may log in to this target. */
    public AccessConfig access() {
        return access;
    }

    public List<LogicalUnit> logicalUnits() {
        return core.logicalUnits();
    }

    /** The configuration LUN {@code lun} was opened from, or null. */
    public LunConfig lunConfig(int lun) {
        return lunConfigs.get(lun);
    }

    void rules(AuthConfig auth, AccessConfig access) {
        this.auth = auth;
        this.access = access;
    }

    void putLunConfig(LunConfig lun) {
        Map<Integer, LunConfig> next = new TreeMap<>(lunConfigs);
        next.put(lun.lun(), lun);
        lunConfigs = Map.copyOf(next);
    }

    void removeLunConfig(int lun) {
        Map<Integer, LunConfig> next = new TreeMap<>(lunConfigs);
        next.remove(lun);
        lunConfigs = Map.copyOf(next);
    }
}
