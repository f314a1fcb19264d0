package io.jtarget.scsi;

import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The copy manager's view of every logical unit of this server, across all targets: EXTENDED COPY
 * names its source and destination by the NAA designator of their Device Identification page (SPC-4
 * §6.4.5.6 identification descriptor CSCD, designator type 3), so any LU the server exports is a
 * reachable copy target. Each {@link ScsiTargetCore} registers its LUs when built and removes them
 * when closed.
 */
final class CopyTargets {
    private static final Map<String, LogicalUnit> BY_NAA = new ConcurrentHashMap<>();

    private CopyTargets() {}

    static void register(LogicalUnit lu) {
        BY_NAA.put(key(InquiryData.naaDesignator(lu.serial())), lu);
    }

    static void unregister(LogicalUnit lu) {
        BY_NAA.remove(key(InquiryData.naaDesignator(lu.serial())), lu);
    }

    /** The LU whose NAA designator is {@code naa}, or null. */
    static LogicalUnit byNaa(byte[] naa) {
        return BY_NAA.get(key(naa));
    }

    private static String key(byte[] naa) {
        return HexFormat.of().formatHex(naa);
    }
}
