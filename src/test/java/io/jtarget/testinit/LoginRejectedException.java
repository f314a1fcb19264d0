package io.jtarget.testinit;

import java.util.List;
import java.util.Map;

/** The target answered a login with a non-zero Status-Class (RFC 7143 §11.13.5). */
public class LoginRejectedException extends java.io.IOException {
    private final int statusClass;
    private final int statusDetail;
    private final transient Map<String, List<String>> keys;

    public LoginRejectedException(int statusClass, int statusDetail, Map<String, List<String>> keys) {
        super(String.format("login failed: status 0x%02x%02x (%s), keys %s",
                statusClass, statusDetail, describe(statusClass, statusDetail), keys));
        this.statusClass = statusClass;
        this.statusDetail = statusDetail;
        this.keys = keys;
    }

    public int statusClass() {
        return statusClass;
    }

    public int statusDetail() {
        return statusDetail;
    }

    /** {@code class << 8 | detail}, e.g. 0x0203 for "Not found". */
    public int status() {
        return statusClass << 8 | statusDetail;
    }

    /** Text keys that came with the failing response (e.g. TargetAddress on redirection). */
    public Map<String, List<String>> keys() {
        return keys;
    }

    static String describe(int statusClass, int statusDetail) {
        return switch (statusClass << 8 | statusDetail) {
            case 0x0101 -> "target moved temporarily";
            case 0x0102 -> "target moved permanently";
            case 0x0200 -> "initiator error";
            case 0x0201 -> "authentication failure";
            case 0x0202 -> "authorization failure";
            case 0x0203 -> "not found";
            case 0x0204 -> "target removed";
            case 0x0205 -> "unsupported version";
            case 0x0206 -> "too many connections";
            case 0x0207 -> "missing parameter";
            case 0x0208 -> "can't include in session";
            case 0x0209 -> "session type not supported";
            case 0x020A -> "session does not exist";
            case 0x020B -> "invalid during login";
            case 0x0300 -> "target error";
            case 0x0301 -> "service unavailable";
            case 0x0302 -> "out of resources";
            default -> "unknown";
        };
    }
}
