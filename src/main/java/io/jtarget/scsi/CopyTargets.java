package io.jtarget.scsi;

import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The copy manager's view of logical units: EXTENDED COPY names its source and destination by the
 * NAA designator of their Device Identification page (SPC-4 §6.4.5.6 identification descriptor CSCD,
 * designator type 3), so every LU registered here is a reachable copy target. One instance is shared
 * by every {@link ScsiTargetCore} of a server (the registry owns it), so a copy may span targets;
 * a core registers its LUs when they are added and removes them when they are removed or closed.
 */
public final class CopyTargets {
    private final Map<String, LogicalUnit> byNaa = new ConcurrentHashMap<>();

    void register(LogicalUnit lu) {
        byNaa.put(key(InquiryData.naaDesignator(lu.serial())), lu);
    }

    void unregister(LogicalUnit lu) {
        byNaa.remove(key(InquiryData.naaDesignator(lu.serial())), lu);
    }

    /** The LU whose NAA designator is {@code naa}, or null. */
    LogicalUnit byNaa(byte[] naa) {
        return byNaa.get(key(naa));
    }

    private static String key(byte[] naa) {
        return HexFormat.of().formatHex(naa);
    }
}
