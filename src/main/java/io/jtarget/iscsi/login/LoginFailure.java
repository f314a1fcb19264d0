package io.jtarget.iscsi.login;

import java.util.Objects;

/**
 * Why a login must be refused: the Login Response status to send (RFC 7143 §11.13.5) and a reason
 * for the log (never sent to the initiator).
 */
public record LoginFailure(LoginStatus status, String reason) {
    public LoginFailure {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        if (status == LoginStatus.SUCCESS) {
            throw new IllegalArgumentException("a failure needs a non-success status");
        }
    }
}
