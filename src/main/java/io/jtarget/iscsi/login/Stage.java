package io.jtarget.iscsi.login;

import java.util.Optional;

/** The login stages in which keys are negotiated (RFC 7143 §6.3, CSG field of §11.12.3). */
public enum Stage {
    SECURITY_NEGOTIATION(0),
    LOGIN_OPERATIONAL_NEGOTIATION(1);

    private final int csg;

    Stage(int csg) {
        this.csg = csg;
    }

    /** The CSG/NSG code on the wire. */
    public int code() {
        return csg;
    }

    /** The stage for a CSG value; empty for 2 (reserved) and 3 (Full Feature Phase). */
    public static Optional<Stage> fromCsg(int csg) {
        return switch (csg) {
            case 0 -> Optional.of(SECURITY_NEGOTIATION);
            case 1 -> Optional.of(LOGIN_OPERATIONAL_NEGOTIATION);
            default -> Optional.empty();
        };
    }
}
