package io.jtarget.iscsi.session;

/**
 * 32-bit serial number arithmetic (RFC 1982 with SERIAL_BITS = 32), as RFC 7143 §4.2.2.1
 * requires for CmdSN, StatSN, DataSN and R2TSN comparisons.
 */
public final class SerialNumbers {
    private SerialNumbers() {}

    /** s1 &lt; s2 in serial arithmetic; undefined (false) when they are exactly 2^31 apart. */
    public static boolean lessThan(int s1, int s2) {
        return s1 != s2 && (s2 - s1) > 0;
    }

    public static boolean lessOrEqual(int s1, int s2) {
        return s1 == s2 || lessThan(s1, s2);
    }

    /** s lies in [low, high] in serial arithmetic. */
    public static boolean inWindow(int s, int low, int high) {
        return lessOrEqual(low, s) && lessOrEqual(s, high);
    }
}
